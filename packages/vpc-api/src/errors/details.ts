import type { VhdIoError, VhdIoErrorCode, VhdSourceError, VhdSourceErrorCode } from '@vhdkit/vhd-diff';
import type { VhdFormatErrorCode } from '@vhdkit/vhd-diff';
import { VhdFormatError } from '@vhdkit/vhd-diff';
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
  namesAFolder: template<{ path: string }>(
    (p) => `${p.path} ends in a separator, so it names a folder, not an image file`,
    (p) => `${p.path} termina en un separador, así que nombra una carpeta, no un archivo de imagen`,
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
  /** The maximum is inclusive (2040 GiB is accepted); the FAT16 guest bound is exclusive (under 2000 MB). */
  sizeAboveLimit: template<{ sizeBytes: number; limitBytes: number; fat16Guest: boolean }>(
    (p) => `${p.sizeBytes} bytes; must be ${p.fat16Guest ? `under ${p.limitBytes} bytes with a FAT16 guest volume` : `at most ${p.limitBytes} bytes`}`,
    (p) => `${p.sizeBytes} bytes; debe ser ${p.fat16Guest ? `menor que ${p.limitBytes} bytes con un volumen FAT16 invitado` : `como máximo ${p.limitBytes} bytes`}`,
  ),
  sizeBelowLimit: template<{ sizeBytes: number; limitBytes: number; fat32Guest: boolean }>(
    (p) => `${p.sizeBytes} bytes; must be at least ${p.limitBytes} bytes${p.fat32Guest ? ' with a FAT32 guest volume' : ''}`,
    (p) => `${p.sizeBytes} bytes; debe ser al menos ${p.limitBytes} bytes${p.fat32Guest ? ' con un volumen FAT32 invitado' : ''}`,
  ),
  badSizeArgument: template<{ value: string }>(
    (p) => `size ${p.value} is not a number of bytes greater than 0`,
    (p) => `el tamaño ${p.value} no es un número de bytes mayor que 0`,
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
  /** The operation a cancellation or shutdown stopped; the English form is also the task's `description`. */
  operation: template<{ kind: 'differencing' | 'fixed' | 'dynamic' | 'import' | 'resize' | 'compact'; path: string }>(
    (p) => {
      if (p.kind === 'import') return `Import raw disk into ${p.path}`;
      if (p.kind === 'resize') return `Resize ${p.path}`;
      if (p.kind === 'compact') return `Compact ${p.path}`;
      return `Create ${p.kind} disk ${p.path}`;
    },
    (p) => {
      if (p.kind === 'import') return `importar un disco sin formato en ${p.path}`;
      if (p.kind === 'resize') return `cambiar el tamaño de ${p.path}`;
      if (p.kind === 'compact') return `compactar ${p.path}`;
      return `crear el disco ${p.kind === 'differencing' ? 'de diferenciación' : p.kind === 'fixed' ? 'fijo' : 'dinámico'} ${p.path}`;
    },
  ),
  badImportType: template<{ value: string }>(
    (p) => `--type ${p.value}: an import makes a fixed or dynamic disk`,
    (p) => `--type ${p.value}: una importación crea un disco fijo o dinámico`,
  ),
  azureNeedsFixed: template<Record<string, never>>(
    () => 'Azure accepts fixed VHDs only (--azure with --type dynamic)',
    () => 'Azure solo acepta VHD fijos (--azure con --type dynamic)',
  ),
  jsonWithImageOnStdout: template<Record<string, never>>(
    () => '--json cannot share stdout with the exported image; give an output file',
    () => '--json no puede compartir la salida estándar con la imagen exportada; indique un archivo de salida',
  ),
  missingImportSource: template<Record<string, never>>(
    () => 'the raw source is neither a path nor a readable stream',
    () => 'el origen sin formato no es una ruta ni un flujo legible',
  ),
  foreignPathStyle: template<{ pathStyle: string; path: string; platform: string }>(
    (p) => `${p.pathStyle} path ${p.path} on ${p.platform}`,
    (p) => `ruta ${p.pathStyle} ${p.path} en ${p.platform}`,
  ),
  blockSizeForFixed: template<Record<string, never>>(
    () => '--block-size applies to dynamic disks only',
    () => '--block-size solo se aplica a discos dinámicos',
  ),
  noHardwareVirtualization: template<Record<string, never>>(
    () => 'the CPU reports neither vmx (Intel VT-x) nor svm (AMD-V)',
    () => 'la CPU no informa vmx (Intel VT-x) ni svm (AMD-V)',
  ),
} as const;

export function detail<P>(lang: Language, which: Template<P>, params: P): string {
  return which[lang](params);
}

/** What a commander usage error says, taken from its text: the names it quotes in order, and its counts. */
export interface UsageFacts {
  quoted: string[];
  expected?: string;
  got?: string;
  choices?: string;
}

const quotedAt = (u: UsageFacts, index: number): string => `'${u.quoted[index] ?? ''}'`;

/**
 * Commander's usage errors by commander's error code. English is commander's own text (with its "Did you mean"
 * hints); Spanish says the same from the names and counts that text quotes.
 */
export const USAGE_DETAILS_ES: Readonly<Record<string, (usage: UsageFacts) => string>> = {
  'commander.unknownCommand': (u) => `orden desconocida ${quotedAt(u, 0)}`,
  'commander.missingArgument': (u) => `falta el argumento obligatorio ${quotedAt(u, 0)}`,
  'commander.unknownOption': (u) => `opción desconocida ${quotedAt(u, 0)}`,
  'commander.missingMandatoryOptionValue': (u) => `falta la opción obligatoria ${quotedAt(u, 0)}`,
  'commander.optionMissingArgument': (u) => `falta el valor de la opción ${quotedAt(u, 0)}`,
  'commander.invalidArgument': (u) => `el valor ${quotedAt(u, 1)} de la opción ${quotedAt(u, 0)} no es válido; se admite: ${u.choices ?? ''}`,
  'commander.excessArguments': (u) =>
    `demasiados argumentos${u.quoted.length > 0 ? ` para ${quotedAt(u, 0)}` : ''}: se esperaban ${u.expected ?? '?'} y se recibieron ${u.got ?? '?'}`,
};

/** A usage error's detail: commander's text in English; the Spanish template of its code, or the quoted names. */
export function usageErrorDetail(commanderCode: string, englishText: string, lang: Language): string {
  if (lang === 'en') return englishText;
  const counts = /Expected (\d+) arguments? but got (\d+)/.exec(englishText);
  const choices = /Allowed choices are (.*?)\.?$/m.exec(englishText);
  const usage: UsageFacts = {
    quoted: [...englishText.matchAll(/'([^']*)'/g)].map((match) => match[1]!),
    ...(counts === null ? {} : { expected: counts[1], got: counts[2] }),
    ...(choices === null ? {} : { choices: choices[1] }),
  };
  const which = USAGE_DETAILS_ES[commanderCode];
  return which === undefined ? `uso incorrecto de la línea de órdenes: ${usage.quoted.join(', ')} (vpc --help)` : which(usage);
}


/** What a vhd-diff failure offers a template: its structured facts, its path, its English message and cause. */
export interface VhdIoFacts {
  params: Readonly<Record<string, string | number>>;
  path: string;
  /** vhd-diff's English rendering (today's English output for failures without a reason template). */
  message: string;
  /** The Node errno of an 'IO' failure (ENOSPC…). */
  errno: string | undefined;
  /** The vhd-format decoder's failure behind a NOT_A_VHD, if any. */
  formatCode: VhdFormatErrorCode | undefined;
  formatMessage: string | undefined;
}

const FORMAT_PROBLEM_ES: Record<VhdFormatErrorCode, string> = {
  BAD_COOKIE: 'la firma (cookie) no es la esperada',
  BAD_CHECKSUM: 'la suma de comprobación no coincide',
  UNSUPPORTED_VERSION: 'versión de formato no compatible',
  BAD_DISK_TYPE: 'tipo de disco no válido',
  TABLE_OUT_OF_RANGE: 'la tabla de asignación de bloques queda fuera del archivo',
  BAD_BLOCK_SIZE: 'tamaño de bloque no válido',
  TRUNCATED: 'la estructura está truncada',
  BAD_SIZE: 'tamaño no válido',
  BAD_DATA_OFFSET: 'desplazamiento de datos no válido',
  BAD_LOCATOR: 'localizador del primario no válido',
  BAD_GEOMETRY: 'geometría no válida',
  BLOCK_OUT_OF_ORDER: 'bloques fuera de orden',
  NOT_DYNAMIC: 'no es un disco dinámico',
  NO_FOOTER: 'no hay pie VHD utilizable',
  BAD_HEADER: 'la cabecera dinámica no es válida',
  BLOCK_OUT_OF_RANGE: 'un bloque queda fuera del área de datos',
  SHORT_READ: 'la imagen cambió o se acortó durante la lectura',
  PARENT_NOT_FOUND: 'no se encuentra el disco primario',
  PARENT_MISMATCH: 'el disco primario no es el que espera el secundario',
  PARENT_TIMESTAMP_MISMATCH: 'el disco primario cambió después de crear el secundario',
  CHAIN_LOOP: 'la cadena forma un bucle',
  CHAIN_TOO_DEEP: 'la cadena es demasiado larga',
};

const DISK_TYPE_ES: Readonly<Record<string, string>> = { fixed: 'fija', dynamic: 'dinámica', differencing: 'de diferenciación' };

const text = (value: string | number | undefined): string => (value === undefined ? '' : String(value));
const formatEs = (f: VhdIoFacts): string => (f.formatCode === undefined ? 'formato no reconocido' : FORMAT_PROBLEM_ES[f.formatCode]);

/**
 * vhd-diff failures by `params.reason`, in both languages. The English column reproduces vhd-diff's own message
 * from the same facts (tests compare them), so English output is what vhd-diff says.
 */
export const VHD_IO_REASON_DETAILS: Readonly<Record<string, Template<VhdIoFacts>>> = {
  'too-short': template(
    (f) => `${f.path} is not a valid VHD: the file is ${text(f.params.fileSize)} bytes, shorter than a VHD footer`,
    (f) => `${f.path} no es un VHD válido: el archivo tiene ${text(f.params.fileSize)} bytes, menos que un pie VHD`,
  ),
  'no-footer': template(
    (f) => `${f.path} is not a valid VHD: no VHD footer at the end of the file: ${text(f.formatMessage)}`,
    (f) => `${f.path} no es un VHD válido: no hay pie VHD al final del archivo (${formatEs(f)})`,
  ),
  'bad-footer': template(
    (f) => `${f.path} is not a valid VHD: bad footer at the end of the file: ${text(f.formatMessage)}`,
    (f) => `${f.path} no es un VHD válido: el pie del final del archivo está dañado (${formatEs(f)})`,
  ),
  'bad-header': template(
    (f) => `${f.path} is not a valid VHD: bad dynamic header at offset ${text(f.params.offset)}: ${text(f.formatMessage)}`,
    (f) => `${f.path} no es un VHD válido: la cabecera dinámica del desplazamiento ${text(f.params.offset)} está dañada (${formatEs(f)})`,
  ),
  'not-a-file': template(
    (f) => `${f.path} is not a VHD: it is not a regular file`,
    (f) => `${f.path} no es un VHD: no es un archivo normal`,
  ),
  'parent-not-a-vhd': template(
    (f) => `${f.path}, the parent ${text(f.params.childPath)} names, is not a valid VHD (${text(f.params.damage)})`,
    (f) => `${f.path}, el primario que indica ${text(f.params.childPath)}, no es un VHD válido (${text(f.params.damage)})`,
  ),
  'not-differencing': template(
    (f) => f.params.operation === 'merge'
      ? `only a differencing image can be merged into its parent; this one is ${text(f.params.diskType)}`
      : 'only a differencing image has a parent to set',
    (f) => f.params.operation === 'merge'
      ? `solo una imagen de diferenciación se puede combinar con su primario; esta es ${DISK_TYPE_ES[text(f.params.diskType)] ?? text(f.params.diskType)}`
      : `solo una imagen de diferenciación tiene un primario que cambiar; ${f.path} es ${DISK_TYPE_ES[text(f.params.diskType)] ?? text(f.params.diskType)}`,
  ),
  'new-parent-id': template(
    (f) => `${text(f.params.parentPath)} has unique id ${text(f.params.parentId)} but the child expects ${text(f.params.expectedId)} (use force to compare contents instead)`,
    (f) => `${text(f.params.parentPath)} tiene el identificador único ${text(f.params.parentId)}, pero el hijo espera ${text(f.params.expectedId)} (con --force se compara el contenido)`,
  ),
  'parent-id': template(
    (f) => `${text(f.params.parentPath)} has unique id ${text(f.params.parentId)} but ${text(f.params.childPath)} expects its parent to be ${text(f.params.expectedId)}`,
    (f) => `${text(f.params.parentPath)} tiene el identificador único ${text(f.params.parentId)}, pero ${text(f.params.childPath)} espera que su primario sea ${text(f.params.expectedId)}`,
  ),
  'parent-not-found': template(
    (f) => `parent '${text(f.params.name)}' not found (tried: ${text(f.params.tried) || 'no usable locator'})`,
    (f) => `no se encuentra el primario '${text(f.params.name)}' (probado: ${text(f.params.tried) || 'ningún localizador utilizable'})`,
  ),
  'parent-timestamp': template(
    (f) => `parent timestamp ${text(f.params.recorded)} recorded in the child differs from the parent's modification time ${text(f.params.actual)} (VHD seconds) (${text(f.params.parentPath)})`,
    (f) => `la marca de tiempo del primario guardada en el hijo, ${text(f.params.recorded)}, no coincide con la hora de modificación del primario, ${text(f.params.actual)} (segundos VHD) (${text(f.params.parentPath)})`,
  ),
  'chain-loop': template(
    (f) => `the chain comes back to ${text(f.params.path)}`,
    (f) => `la cadena vuelve a ${text(f.params.path)}`,
  ),
  'chain-too-deep': template(
    (f) => `the chain has more than ${text(f.params.maxDepth)} images`,
    (f) => `la cadena tiene más de ${text(f.params.maxDepth)} imágenes`,
  ),
  'resize-size': template(
    (f) => `the new size ${text(f.params.size)} is not a positive multiple of 512 bytes up to 2040 GiB`,
    (f) => `el tamaño nuevo ${text(f.params.size)} no es un múltiplo positivo de 512 bytes hasta 2040 GiB`,
  ),
  'resize-in-the-way': template(
    (f) => `cannot shrink ${f.path} to ${text(f.params.size)} bytes: ${text(f.params.bytes)} bytes past the new end hold data (${f.params.holder === 'bytes' ? 'non-zero sectors' : 'sectors marked in block bitmaps'})`,
    (f) => `no se puede reducir ${f.path} a ${text(f.params.size)} bytes: ${text(f.params.bytes)} bytes después del nuevo final tienen datos (${f.params.holder === 'bytes' ? 'sectores no nulos' : 'sectores marcados en los mapas de bits de los bloques'})`,
  ),
  'resize-differencing': template(
    (f) => `${f.path} is a differencing disk: its size follows its parent's (${text(f.params.parentSize)} bytes), not ${text(f.params.size)}`,
    (f) => `${f.path} es un disco de diferenciación: su tamaño sigue al de su primario (${text(f.params.parentSize)} bytes), no ${text(f.params.size)}`,
  ),
  'resize-layout': template(
    (f) => `${f.path} has its dynamic header after the BAT; growing would overwrite it`,
    (f) => `${f.path} tiene la cabecera dinámica después de la BAT; al crecer se sobrescribiría`,
  ),
  'short-footer': template(
    (f) => `${f.path} ends in a 511-byte footer; repair it first (vpc check --repair)`,
    (f) => `${f.path} termina en un pie de 511 bytes; repárelo antes (vpc check --repair)`,
  ),
  'fixed-short': template(
    (f) => `${f.path} is shorter than its ${text(f.params.size)}-byte data area`,
    (f) => `${f.path} es más corto que su área de datos de ${text(f.params.size)} bytes`,
  ),
  'compact-fixed': template(
    (f) => `${f.path} is a fixed disk: only dynamic and differencing disks can be compacted`,
    (f) => `${f.path} es un disco fijo: solo se pueden compactar discos dinámicos y de diferenciación`,
  ),
  'changed-during': template(
    (f) => `${f.path} changed while it was being compacted; nothing was replaced`,
    (f) => `${f.path} cambió mientras se compactaba; no se reemplazó nada`,
  ),
  'source-larger-than-size': template(
    (f) => `the source ${text(f.params.source)} holds more than the ${text(f.params.sizeBytes)} bytes asked for ${f.path}`,
    (f) => `el origen ${text(f.params.source)} contiene más de los ${text(f.params.sizeBytes)} bytes pedidos para ${f.path}`,
  ),
  'source-is-folder': template(
    (f) => `${f.path} is a folder, not a raw disk image`,
    (f) => `${f.path} es una carpeta, no una imagen de disco sin formato`,
  ),
  'azure-needs-fixed': template(
    (f) => `Azure accepts only fixed VHDs; ${f.path} was asked to be dynamic`,
    (f) => `Azure solo acepta VHD fijos; se pidió que ${f.path} fuera dinámico`,
  ),
  'parent-chain-full': template(
    (f) => `the chain of ${text(f.params.path)} already holds ${text(f.params.maxDepth)} images, the most a chain may hold`,
    (f) => `la cadena de ${text(f.params.path)} ya tiene ${text(f.params.maxDepth)} imágenes, el máximo que admite una cadena`,
  ),
  'image-too-large': template(
    (f) => `${f.path}: ${text(f.formatMessage)}`,
    (f) => `${f.path}: el disco tiene ${text(f.params.sizeBytes)} bytes, más que el máximo de VHD (2040 GiB)`,
  ),
  'write-past-end': template(
    (f) => `write of ${text(f.params.byteCount)} bytes at ${text(f.params.offset)} passes the end of the ${text(f.params.virtualSize)}-byte disk`,
    (f) => `la escritura de ${text(f.params.byteCount)} bytes en ${text(f.params.offset)} pasa del final del disco de ${text(f.params.virtualSize)} bytes`,
  ),
};

/**
 * Failures without a reason template, by code: English keeps vhd-diff's message; Spanish says the same in general
 * terms with the path (and errno) the error carries.
 */
export const VHD_IO_CODE_DETAILS: Readonly<Record<VhdIoErrorCode, Template<VhdIoFacts>>> = {
  IO: template((f) => f.message, (f) => (f.errno === undefined ? f.path : `${f.path} (${f.errno})`)),
  ABORTED: template((f) => f.message, (f) => `se canceló la operación sobre ${f.path}`),
  ALREADY_EXISTS: template((f) => f.message, (f) => `${f.path} ya existe; nunca se reemplaza`),
  NOT_A_VHD: template((f) => f.message, (f) => `${f.path} no es un VHD válido`),
  UNSUPPORTED: template((f) => f.message, (f) => `${f.path}: operación o formato no compatible`),
  SIZE_TOO_LARGE: template((f) => f.message, (f) => `${f.path}: el tamaño supera el máximo de VHD`),
  SIZE_TOO_SMALL: template((f) => f.message, (f) => `${f.path}: el tamaño debe ser positivo`),
  PARENT_NOT_FOUND: template((f) => f.message, (f) => `no se encuentra el primario de ${f.path}`),
  PARENT_MISMATCH: template((f) => f.message, (f) => `el primario no corresponde a ${f.path}`),
  PARENT_TIMESTAMP_MISMATCH: template((f) => f.message, (f) => `el primario de ${f.path} cambió después de crearse el hijo`),
  CHAIN_LOOP: template((f) => f.message, (f) => `la cadena de ${f.path} forma un bucle`),
  CHAIN_TOO_DEEP: template((f) => f.message, (f) => `la cadena de ${f.path} es demasiado larga`),
  READ_ONLY: template((f) => f.message, (f) => `${f.path} se abrió en modo de solo lectura`),
  OUT_OF_RANGE: template((f) => f.message, (f) => `${f.path}: desplazamiento o longitud fuera del disco virtual`),
  CORRUPT: template((f) => f.message, (f) => `${f.path}: las estructuras de la imagen están dañadas`),
};

/** The facts of a vhd-diff failure, for the templates above. */
export function vhdIoFacts(error: VhdIoError): VhdIoFacts {
  const cause = error.cause;
  const errno = (cause as { code?: unknown } | null | undefined)?.code;
  const isFormatError = cause instanceof VhdFormatError;
  return {
    params: error.params ?? {},
    path: error.path ?? text(error.params?.path),
    message: error.message,
    errno: !isFormatError && typeof errno === 'string' ? errno : undefined,
    formatCode: isFormatError ? cause.code : undefined,
    formatMessage: isFormatError ? cause.message : undefined,
  };
}

/** A lenient decoder's problem (vhd-format speaks English): its message in English, its code's wording in Spanish. */
export function formatProblemDetail(problem: { code: VhdFormatErrorCode; message: string }, lang: Language): string {
  return lang === 'es' ? FORMAT_PROBLEM_ES[problem.code] : problem.message;
}

/** A vhd-diff failure in the caller's language: the reason's template when there is one, else the code's. */
export function vhdIoErrorDetail(error: VhdIoError, lang: Language): string {
  const reason = error.params?.reason;
  const which = (reason === undefined ? undefined : VHD_IO_REASON_DETAILS[reason]) ?? VHD_IO_CODE_DETAILS[error.code];
  return which[lang](vhdIoFacts(error));
}

/** What the source templates word: the URL, and the status or offset where they apply. */
interface VhdSourceFacts {
  source: string;
  message: string;
  status: string;
  offset: string;
}

/**
 * Failures of an image read over HTTP, by code: English keeps vhd-format's message (it names the URL and what the
 * server answered); Spanish says the same with the URL, status and offset the error carries.
 */
export const VHD_SOURCE_CODE_DETAILS: Readonly<Record<VhdSourceErrorCode, Template<VhdSourceFacts>>> = {
  RANGES_UNSUPPORTED: template((f) => f.message, (f) => `${f.source}: el servidor no atiende peticiones de rangos de bytes (Range)`),
  SOURCE_CHANGED: template((f) => f.message, (f) => `${f.source} cambió en el servidor mientras se leía`),
  HTTP_STATUS: template((f) => f.message, (f) => `${f.source}: el servidor respondió ${f.status}`),
  NETWORK: template((f) => f.message, (f) => `falló la petición de ${f.source} en el desplazamiento ${f.offset}`),
  SHORT_READ: template((f) => f.message, (f) => `${f.source}: llegaron menos bytes de los pedidos en el desplazamiento ${f.offset}`),
  BAD_RESPONSE: template((f) => f.message, (f) => `${f.source}: respuesta que no corresponde a la petición en el desplazamiento ${f.offset}`),
  OUT_OF_RANGE: template((f) => f.message, (f) => `${f.source}: desplazamiento, longitud u opción fuera de rango`),
  ABORTED: template((f) => f.message, (f) => `se canceló la lectura de ${f.source}`),
  CLOSED: template((f) => f.message, (f) => `${f.source} se cerró durante una lectura`),
  BAD_URL: template((f) => f.message, (f) => `${f.source} no es una URL http(s) válida`),
};

/** An HTTP source failure in the caller's language. */
export function vhdSourceErrorDetail(error: VhdSourceError, lang: Language): string {
  const facts: VhdSourceFacts = {
    source: error.source,
    message: error.message,
    status: error.status === undefined ? '?' : String(error.status),
    offset: error.offset === undefined ? '?' : String(error.offset),
  };
  return VHD_SOURCE_CODE_DETAILS[error.code][lang](facts);
}
