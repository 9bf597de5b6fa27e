// The HRESULT values of this toolkit — the only place in the repository where they are written.
//
// Sources, recorded per entry in `source`:
// - 'virtual-pc-table': the 15 rows of the return-value table of IVMVirtualPC::CreateDifferencingVirtualHardDisk
//   (Windows Virtual PC SDK, VPCCOMInterfaces.h). The same rows, minus the parent, document
//   CreateDynamicVirtualHardDisk and CreateFixedVirtualHardDisk.
// - 'virtual-pc-code': other VM_E_* codes from "HRESULT Codes Specific to Windows Virtual PC" that the
//   Virtual PC API itself uses for hard-disk images (IVMHardDisk::Parent, ::Convert, ::Compact).
// - 'win32-mapping': standard Win32 (HRESULT_FROM_WIN32) and COM codes that this toolkit reports where the
//   Virtual PC table has no row, mostly host file-system failures translated from Node errno codes.
//
// `win32Code` is present exactly when the value is HRESULT_FROM_WIN32(win32Code) (facility 7).

/** Where a code comes from: the Virtual PC return-value table, other Virtual PC codes, or the Win32/COM mapping. */
export type HresultSource = 'virtual-pc-table' | 'virtual-pc-code' | 'win32-mapping';

export interface HresultDefinition {
  readonly name: string;
  readonly hresult: number;
  readonly win32Code?: number;
  readonly source: HresultSource;
}

export const HRESULT_DEFINITIONS = [
  // ── IVMVirtualPC::CreateDifferencingVirtualHardDisk, in the order of its table ──
  { name: 'S_OK', hresult: 0x0000_0000, source: 'virtual-pc-table' },
  { name: 'E_POINTER', hresult: 0x8000_4003, source: 'virtual-pc-table' },
  { name: 'ERROR_PATH_NOT_FOUND', hresult: 0x8007_0003, win32Code: 3, source: 'virtual-pc-table' },
  { name: 'ERROR_INVALID_DRIVE', hresult: 0x8007_000f, win32Code: 15, source: 'virtual-pc-table' },
  { name: 'ERROR_INVALID_NAME', hresult: 0x8007_007b, win32Code: 123, source: 'virtual-pc-table' },
  { name: 'ERROR_BAD_PATHNAME', hresult: 0x8007_00a1, win32Code: 161, source: 'virtual-pc-table' },
  { name: 'ERROR_BUFFER_OVERFLOW', hresult: 0x8007_006f, win32Code: 111, source: 'virtual-pc-table' },
  { name: 'ERROR_ALREADY_EXISTS', hresult: 0x8007_00b7, win32Code: 183, source: 'virtual-pc-table' },
  { name: 'ERROR_DISK_FULL', hresult: 0x8007_0070, win32Code: 112, source: 'virtual-pc-table' },
  { name: 'VM_E_IMAGE_SIZE_TOO_LARGE', hresult: 0xa004_0683, source: 'virtual-pc-table' },
  { name: 'VM_E_IMAGE_SIZE_TOO_SMALL', hresult: 0xa004_0684, source: 'virtual-pc-table' },
  { name: 'VM_E_FILE_TOO_LARGE_FOR_VOLUME', hresult: 0xa004_0679, source: 'virtual-pc-table' },
  { name: 'VM_E_APP_SHUTTING_DOWN', hresult: 0xa004_0209, source: 'virtual-pc-table' },
  { name: 'VM_E_HARDWARE_VIRTUALIZATION_DISABLED', hresult: 0xa004_0951, source: 'virtual-pc-table' },
  { name: 'DISP_E_EXCEPTION', hresult: 0x8002_0009, source: 'virtual-pc-table' },

  // ── Virtual PC's own codes for hard-disk images and parent links ──
  // Parent file is not a readable VHD (IVMHardDisk::Convert/Compact "not a valid image").
  { name: 'VM_E_INVALID_HD_FILE', hresult: 0xa004_0682, source: 'virtual-pc-code' },
  // Child's parent unique id differs from the parent's id (IVMHardDisk::Parent). Preferred over the
  // Hyper-V ERROR_VHD_* values, whose published numbers disagree between headers.
  { name: 'VM_E_PARENT_CHILD_ID_MISMATCH', hresult: 0xa004_0685, source: 'virtual-pc-code' },
  // Parent was modified after the child was made (its timestamp no longer matches).
  { name: 'VM_E_PARENT_MODIFIED', hresult: 0xa004_0687, source: 'virtual-pc-code' },
  // Opening an existing child whose parent cannot be located through any locator (IVMHardDisk::Convert).
  { name: 'VM_E_PARENT_PATH_NOT_FOUND', hresult: 0xa004_0677, source: 'virtual-pc-code' },
  // An operation needs another image type (Compact on a fixed disk, merge of a non-differencing disk).
  { name: 'VM_E_WRONG_HD_IMAGE_TYPE', hresult: 0xa004_067b, source: 'virtual-pc-code' },
  // The image file is marked read-only (IVMHardDisk::Compact).
  { name: 'VM_E_FILE_READ_ONLY', hresult: 0xa004_067a, source: 'virtual-pc-code' },

  // ── Win32 and COM codes the toolkit maps host failures to ──
  // ENOENT for a file (Windows distinguishes a missing file, 2, from a missing folder, 3).
  { name: 'ERROR_FILE_NOT_FOUND', hresult: 0x8007_0002, win32Code: 2, source: 'win32-mapping' },
  // EMFILE / ENFILE: the process or system ran out of file handles.
  { name: 'ERROR_TOO_MANY_OPEN_FILES', hresult: 0x8007_0004, win32Code: 4, source: 'win32-mapping' },
  // EACCES / EPERM, and EISDIR: CreateFile on a folder without backup semantics fails with access denied.
  { name: 'ERROR_ACCESS_DENIED', hresult: 0x8007_0005, win32Code: 5, source: 'win32-mapping' },
  // ENOMEM. E_OUTOFMEMORY is HRESULT_FROM_WIN32(ERROR_OUTOFMEMORY = 14).
  { name: 'E_OUTOFMEMORY', hresult: 0x8007_000e, win32Code: 14, source: 'win32-mapping' },
  // EROFS: the volume is mounted read-only — Windows' "media is write protected".
  { name: 'ERROR_WRITE_PROTECT', hresult: 0x8007_0013, win32Code: 19, source: 'win32-mapping' },
  // EBUSY / ETXTBSY: another process holds the file; also what Virtual PC returns for an image in use.
  { name: 'ERROR_SHARING_VIOLATION', hresult: 0x8007_0020, win32Code: 32, source: 'win32-mapping' },
  // Not produced from errno (ENOSPC maps to the table's ERROR_DISK_FULL); listed so that values
  // reported by Windows' WriteFile decode by name.
  { name: 'ERROR_HANDLE_DISK_FULL', hresult: 0x8007_0027, win32Code: 39, source: 'win32-mapping' },
  // ENOTSUP / EOPNOTSUPP, and image features this toolkit does not implement.
  { name: 'ERROR_NOT_SUPPORTED', hresult: 0x8007_0032, win32Code: 50, source: 'win32-mapping' },
  // EINVAL and out-of-range arguments. winerror.h defines E_INVALIDARG as HRESULT_FROM_WIN32(ERROR_INVALID_PARAMETER = 87);
  // some Virtual PC pages print 0x80000003, the 16-bit-era value that no current SDK uses.
  { name: 'E_INVALIDARG', hresult: 0x8007_0057, win32Code: 87, source: 'win32-mapping' },
  // ENAMETOOLONG from the host: a path component too long for the file system. The table's
  // ERROR_BUFFER_OVERFLOW is kept for the facade's own 260-character rule, checked before any I/O.
  { name: 'ERROR_FILENAME_EXCED_RANGE', hresult: 0x8007_00ce, win32Code: 206, source: 'win32-mapping' },
  // Decoding only: Windows' "file size exceeds the limit". EFBIG maps to VM_E_FILE_TOO_LARGE_FOR_VOLUME instead.
  { name: 'ERROR_FILE_TOO_LARGE', hresult: 0x8007_00df, win32Code: 223, source: 'win32-mapping' },
  // EIO: the device reported a hardware or transport error.
  { name: 'ERROR_IO_DEVICE', hresult: 0x8007_045d, win32Code: 1117, source: 'win32-mapping' },
  // Canonical cancellation code (see CANCELLATION_NAME): what Win32 file operations report when the caller cancels.
  { name: 'ERROR_CANCELLED', hresult: 0x8007_04c7, win32Code: 1223, source: 'win32-mapping' },
  // An image whose structures are damaged beyond what a lenient read accepts (bad BAT, broken chain, a block size
  // that is not a power of two, a field beyond 2^53). The one corruption code: the damage is in an image file, so
  // Win32's ERROR_DISK_CORRUPT (0x80070571, a volume's structures) is never reported and not catalogued.
  { name: 'ERROR_FILE_CORRUPT', hresult: 0x8007_0570, win32Code: 1392, source: 'win32-mapping' },
  // ELOOP: a path whose symbolic links do not resolve (a loop, or too many levels); what Windows reports when a
  // chain of reparse points cannot be resolved.
  { name: 'ERROR_CANT_RESOLVE_FILENAME', hresult: 0x8007_0781, win32Code: 1921, source: 'win32-mapping' },
  // Decoding only: the COM "operation aborted" code some callers use for cancellation.
  { name: 'E_ABORT', hresult: 0x8000_4004, source: 'win32-mapping' },
  // The COM "not yet available" code (winerror.h 0x8000000A): VMTask.result while the task runs. S_OK would
  // claim a success that has not happened; the Virtual PC docs give IVMTask::Result no value for a running task.
  { name: 'E_PENDING', hresult: 0x8000_000a, source: 'win32-mapping' },
] as const satisfies readonly HresultDefinition[];

/** Every symbolic name in the catalogue. */
export type HresultName = (typeof HRESULT_DEFINITIONS)[number]['name'];

/**
 * The one code this toolkit reports for a cancelled operation. ERROR_CANCELLED rather than E_ABORT
 * because the failing work is Win32 file I/O, and the rest of the catalogue speaks Win32; E_ABORT is
 * still recognised when decoding.
 */
export const CANCELLATION_NAME = 'ERROR_CANCELLED' satisfies HresultName;
