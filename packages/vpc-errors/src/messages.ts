// User-facing text for every catalogue entry, in the toolkit's own words. The Record type makes a
// missing name or language a compile error.
import type { HresultName } from './codes.js';

/** The message languages. */
export type Language = 'en' | 'es';
/** Every message language. */
export const LANGUAGES: readonly Language[] = Object.freeze(['en', 'es'] as const);

/** A text in every message language. */
export type LocalizedText = Readonly<Record<Language, string>>;

export const MESSAGES: Readonly<Record<HresultName, LocalizedText>> = {
  S_OK: {
    en: 'The operation completed successfully',
    es: 'La operación terminó correctamente',
  },
  E_POINTER: {
    en: 'A required argument is missing (null pointer)',
    es: 'Falta un argumento obligatorio (puntero nulo)',
  },
  ERROR_PATH_NOT_FOUND: {
    en: 'The image path or the parent path cannot be found',
    es: 'No se encuentra la ruta de la imagen o la del disco primario',
  },
  ERROR_INVALID_DRIVE: {
    en: 'The image cannot be created on a CD or DVD drive',
    es: 'No se puede crear la imagen en una unidad de CD o DVD',
  },
  ERROR_INVALID_NAME: {
    en: 'The path contains a character that is not allowed (* ? : < > / | ")',
    es: 'La ruta contiene un carácter no permitido (* ? : < > / | ")',
  },
  ERROR_BAD_PATHNAME: {
    en: 'The paths are empty or relative; at least one must be absolute',
    es: 'Las rutas están vacías o son relativas; al menos una debe ser absoluta',
  },
  ERROR_BUFFER_OVERFLOW: {
    en: 'The path is too long; it must be shorter than 260 characters',
    es: 'La ruta es demasiado larga; debe tener menos de 260 caracteres',
  },
  ERROR_ALREADY_EXISTS: {
    en: 'A file already exists at the image path',
    es: 'Ya hay un archivo en la ruta de la imagen',
  },
  ERROR_DISK_FULL: {
    en: 'There is not enough free space on the host volume',
    es: 'No queda espacio libre suficiente en el volumen del host',
  },
  VM_E_IMAGE_SIZE_TOO_LARGE: {
    en: 'The disk size is too large; the maximum is 2,088,960 MB (2040 GB)',
    es: 'El tamaño del disco es excesivo; el máximo es 2.088.960 MB (2040 GB)',
  },
  VM_E_IMAGE_SIZE_TOO_SMALL: {
    en: 'The disk size is below the minimum for this kind of image',
    es: 'El tamaño del disco es inferior al mínimo para este tipo de imagen',
  },
  VM_E_FILE_TOO_LARGE_FOR_VOLUME: {
    en: 'The host file system cannot hold a file of this size',
    es: 'El sistema de archivos del host no admite un archivo de este tamaño',
  },
  VM_E_APP_SHUTTING_DOWN: {
    en: 'The operation was refused because the application is shutting down',
    es: 'Se rechazó la operación porque la aplicación se está cerrando',
  },
  VM_E_HARDWARE_VIRTUALIZATION_DISABLED: {
    en: 'Hardware-assisted virtualization is not available on this processor',
    es: 'La virtualización asistida por hardware no está disponible en este procesador',
  },
  DISP_E_EXCEPTION: {
    en: 'An unexpected error occurred',
    es: 'Se produjo un error inesperado',
  },
  VM_E_INVALID_HD_FILE: {
    en: 'The file is not a valid virtual hard disk image',
    es: 'El archivo no es una imagen de disco duro virtual válida',
  },
  VM_E_PARENT_CHILD_ID_MISMATCH: {
    en: 'The parent image is not the one this differencing disk was created from (unique ids differ)',
    es: 'La imagen primaria no es aquella de la que se creó este disco de diferenciación (los identificadores no coinciden)',
  },
  VM_E_PARENT_MODIFIED: {
    en: 'The parent image has changed since this differencing disk was created',
    es: 'La imagen primaria ha cambiado desde que se creó este disco de diferenciación',
  },
  VM_E_PARENT_PATH_NOT_FOUND: {
    en: 'The parent image of this differencing disk cannot be found',
    es: 'No se encuentra la imagen primaria de este disco de diferenciación',
  },
  VM_E_WRONG_HD_IMAGE_TYPE: {
    en: 'This operation does not apply to this type of disk image',
    es: 'Esta operación no se aplica a este tipo de imagen de disco',
  },
  VM_E_FILE_READ_ONLY: {
    en: 'The image file is marked read-only',
    es: 'El archivo de imagen está marcado como de solo lectura',
  },
  ERROR_FILE_NOT_FOUND: {
    en: 'The file cannot be found',
    es: 'No se encuentra el archivo',
  },
  ERROR_TOO_MANY_OPEN_FILES: {
    en: 'Too many files are open',
    es: 'Hay demasiados archivos abiertos',
  },
  ERROR_ACCESS_DENIED: {
    en: 'Access to the file or folder was denied',
    es: 'Se denegó el acceso al archivo o a la carpeta',
  },
  E_OUTOFMEMORY: {
    en: 'There is not enough memory to complete the operation',
    es: 'No hay memoria suficiente para completar la operación',
  },
  ERROR_WRITE_PROTECT: {
    en: 'The volume is write-protected',
    es: 'El volumen está protegido contra escritura',
  },
  ERROR_SHARING_VIOLATION: {
    en: 'The file is in use by another process',
    es: 'Otro proceso está usando el archivo',
  },
  ERROR_HANDLE_DISK_FULL: {
    en: 'The disk became full while writing the file',
    es: 'El disco se llenó mientras se escribía el archivo',
  },
  ERROR_NOT_SUPPORTED: {
    en: 'The request is not supported',
    es: 'La solicitud no es compatible',
  },
  E_INVALIDARG: {
    en: 'An argument has a value that is not valid',
    es: 'Un argumento tiene un valor no válido',
  },
  ERROR_FILENAME_EXCED_RANGE: {
    en: 'A file name or path is too long for the file system',
    es: 'Un nombre de archivo o una ruta es demasiado largo para el sistema de archivos',
  },
  ERROR_FILE_TOO_LARGE: {
    en: 'The file size exceeds the allowed limit',
    es: 'El tamaño del archivo supera el límite permitido',
  },
  ERROR_IO_DEVICE: {
    en: 'The device reported an input/output error',
    es: 'El dispositivo informó de un error de entrada/salida',
  },
  ERROR_CANCELLED: {
    en: 'The operation was cancelled',
    es: 'Se canceló la operación',
  },
  ERROR_FILE_CORRUPT: {
    en: 'The file is damaged and cannot be used',
    es: 'El archivo está dañado y no se puede usar',
  },
  ERROR_CANT_RESOLVE_FILENAME: {
    en: 'The name of the file cannot be resolved by the system',
    es: 'El sistema no puede resolver el nombre del archivo',
  },
  E_ABORT: {
    en: 'The operation was aborted',
    es: 'Se interrumpió la operación',
  },
  E_PENDING: {
    en: 'The operation has not finished yet',
    es: 'La operación aún no ha terminado',
  },
};

export function isLanguage(value: unknown): value is Language {
  return value === 'en' || value === 'es';
}

/** Text for an HRESULT outside the catalogue, e.g. one received from Windows. */
export function unknownHresultMessage(hex: string, language: Language): string {
  return language === 'es' ? `Error desconocido (HRESULT ${hex})` : `Unknown error (HRESULT ${hex})`;
}
