import type { Language } from '@vhdkit/vpc-errors';

/**
 * The context appended to a catalogue message, in the caller's language. The catalogue says what failed;
 * these say about which path or number.
 */
type Template<P> = Record<Language, (params: P) => string>;

function template<P>(en: (params: P) => string, es: (params: P) => string): Template<P> {
  return { en, es };
}

export const DETAILS = {
  missingArgument: template<{ argument: string; value: string }>(
    (p) => `${p.argument} is ${p.value}`,
    (p) => `${p.argument} es ${p.value}`,
  ),
  notAString: template<{ argument: string; type: string }>(
    (p) => `${p.argument} is a ${p.type}, not a path`,
    (p) => `${p.argument} es de tipo ${p.type}, no una ruta`,
  ),
  emptyPath: template<{ argument: string }>(
    (p) => `${p.argument} is empty`,
    (p) => `${p.argument} está vacía`,
  ),
  bothRelative: template<{ imagePath: string; parentPath: string }>(
    (p) => `both paths are relative (${p.imagePath}, ${p.parentPath}); one must be absolute`,
    (p) => `las dos rutas son relativas (${p.imagePath}, ${p.parentPath}); una debe ser absoluta`,
  ),
  relativeWithoutAnchor: template<{ path: string }>(
    (p) => `${p.path} is relative and there is no other path to resolve it against`,
    (p) => `${p.path} es relativa y no hay otra ruta respecto de la cual resolverla`,
  ),
  driveRelative: template<{ path: string }>(
    (p) => `${p.path} is relative to a drive's current folder`,
    (p) => `${p.path} es relativa a la carpeta actual de una unidad`,
  ),
  invalidCharacter: template<{ path: string; character: string; index: number }>(
    (p) => `${JSON.stringify(p.character)} at position ${p.index} of ${JSON.stringify(p.path)}`,
    (p) => `${JSON.stringify(p.character)} en la posición ${p.index} de ${JSON.stringify(p.path)}`,
  ),
  pathTooLong: template<{ path: string; length: number }>(
    (p) => `${p.path} has ${p.length} UTF-16 code units (at most 259)`,
    (p) => `${p.path} tiene ${p.length} unidades UTF-16 (259 como máximo)`,
  ),
  path: template<{ path: string }>(
    (p) => p.path,
    (p) => p.path,
  ),
  parentIsFolder: template<{ path: string }>(
    (p) => `${p.path} is a folder`,
    (p) => `${p.path} es una carpeta`,
  ),
  notAVhd: template<{ path: string; reason: string }>(
    (p) => `${p.path}: ${p.reason}`,
    (p) => `${p.path}: ${p.reason}`,
  ),
  sizeAboveLimit: template<{ sizeBytes: number; limitBytes: number; fat16Guest: boolean }>(
    (p) => `${p.sizeBytes} bytes; must be under ${p.limitBytes} bytes${p.fat16Guest ? ' with a FAT16 guest volume' : ''}`,
    (p) => `${p.sizeBytes} bytes; debe ser menor que ${p.limitBytes} bytes${p.fat16Guest ? ' con un volumen FAT16 invitado' : ''}`,
  ),
  sizeBelowLimit: template<{ sizeBytes: number; limitBytes: number; fat32Guest: boolean }>(
    (p) => `${p.sizeBytes} bytes; must be at least ${p.limitBytes} bytes${p.fat32Guest ? ' with a FAT32 guest volume' : ''}`,
    (p) => `${p.sizeBytes} bytes; debe ser al menos ${p.limitBytes} bytes${p.fat32Guest ? ' con un volumen FAT32 invitado' : ''}`,
  ),
  badSizeArgument: template<{ value: string }>(
    (p) => `size ${p.value} is not a number of bytes`,
    (p) => `el tamaño ${p.value} no es un número de bytes`,
  ),
  badBlockSize: template<{ value: string }>(
    (p) => `block size ${p.value} is not a power of two from 512 bytes to 256 MiB`,
    (p) => `el tamaño de bloque ${p.value} no es una potencia de dos entre 512 bytes y 256 MiB`,
  ),
  componentIsFile: template<{ file: string }>(
    (p) => `${p.file} is a file, so the image folder cannot be created`,
    (p) => `${p.file} es un archivo, así que no se puede crear la carpeta de la imagen`,
  ),
  opticalVolume: template<{ folder: string; fileSystem: string }>(
    (p) => `${p.folder} is on a ${p.fileSystem} (CD/DVD) file system`,
    (p) => `${p.folder} está en un sistema de archivos ${p.fileSystem} (CD/DVD)`,
  ),
  fileTooLargeForVolume: template<{ folder: string; fileSystem: string; expandedBytes: number; maxFileBytes: number }>(
    (p) => `the image can grow to ${p.expandedBytes} bytes; ${p.fileSystem} at ${p.folder} holds files up to ${p.maxFileBytes} bytes`,
    (p) => `la imagen puede crecer hasta ${p.expandedBytes} bytes; ${p.fileSystem} en ${p.folder} admite archivos de hasta ${p.maxFileBytes} bytes`,
  ),
  lowFreeSpace: template<{ folder: string; freeBytes: number; minimumFreeBytes: number }>(
    (p) => `${p.freeBytes} bytes free on the volume of ${p.folder}; at least ${p.minimumFreeBytes} needed`,
    (p) => `${p.freeBytes} bytes libres en el volumen de ${p.folder}; se necesitan al menos ${p.minimumFreeBytes}`,
  ),
  noHardwareVirtualization: template<Record<string, never>>(
    () => 'the CPU reports neither vmx (Intel VT-x) nor svm (AMD-V)',
    () => 'la CPU no informa vmx (Intel VT-x) ni svm (AMD-V)',
  ),
} as const;

export function detail<P>(lang: Language, which: Template<P>, params: P): string {
  return which[lang](params);
}
