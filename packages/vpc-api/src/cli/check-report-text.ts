import type { CheckIssue, CheckReport, CheckSeverity } from '@vhdkit/vhd-diff';
import type { VhdFormatErrorCode } from '@vhdkit/vhd-diff';
import type { Language } from '@vhdkit/vpc-errors';
import { formatProblemDetail } from '../errors/details.js';

/**
 * `vpc check` report lines. English prints vhd-diff's issue messages as they are; Spanish words each issue code
 * with the offset and block index the issue carries (vhd-diff's messages are English only).
 */
const SEVERITY_ES: Record<CheckSeverity, string> = { error: 'error', warning: 'aviso', info: 'info' };

const at = (issue: CheckIssue): string => (issue.offset === undefined ? '' : ` (desplazamiento ${issue.offset})`);
const block = (issue: CheckIssue): string => (issue.blockIndex === undefined ? 'un bloque' : `el bloque ${issue.blockIndex}`);

const ISSUE_TEXT_ES: Readonly<Record<string, (issue: CheckIssue) => string>> = {
  NOT_A_VHD: () => 'no es un VHD: no hay pie VHD válido al final del archivo ni en el desplazamiento 0',
  FOOTER_DAMAGED: (i) => `el pie del final del archivo no se puede leer; la copia del desplazamiento 0 está intacta${at(i)}`,
  BAD_DISK_TYPE: (i) => `el tipo de disco no es fijo, dinámico ni de diferenciación${at(i)}`,
  DISK_TOO_LARGE: (i) => `el tamaño actual del pie supera 2040 GiB; los lectores rechazan la imagen${at(i)}`,
  FIXED_SIZE_MISMATCH: (i) => `el área de datos no tiene el tamaño que indica el pie${at(i)}`,
  FOOTER_COPY_MISMATCH: () => 'la copia del pie en el desplazamiento 0 no coincide con el pie del final',
  FOOTER_TRUNCATED: (i) => `el pie del final tiene 511 bytes (Virtual PC antiguo); se esperan 512${at(i)}`,
  HEADER_OUT_OF_FILE: (i) => `el pie sitúa la cabecera dinámica fuera del área de datos${at(i)}`,
  HEADER_UNREADABLE: (i) => `no hay cabecera dinámica legible${at(i)}`,
  BAD_BLOCK_SIZE: (i) => `el tamaño de bloque no es un múltiplo positivo de 512${at(i)}`,
  BAT_TOO_SMALL: (i) => `la tabla de asignación de bloques tiene menos entradas de las que necesita el disco${at(i)}`,
  BAT_OUT_OF_FILE: (i) => `la tabla de asignación de bloques no cabe antes del pie${at(i)}`,
  METADATA_OVERLAP: (i) => `dos estructuras de metadatos se solapan${at(i)}`,
  UNREFERENCED_SPACE: (i) => `hay bytes antes del pie que no pertenecen a ningún bloque (los deja una asignación interrumpida; la siguiente los reutiliza)${at(i)}`,
  LOCATOR_OUT_OF_FILE: (i) => `un localizador del primario queda fuera del área de datos${at(i)}`,
  LOCATOR_SPACE_IN_SECTORS: (i) => `un localizador del primario da su espacio en sectores, como dice la especificación; Windows escribe bytes${at(i)}`,
  LOCATOR_UNREADABLE: (i) => `un localizador del primario no contiene una ruta${at(i)}`,
  BLOCK_OUT_OF_FILE: (i) => `${block(i)} termina después del pie${at(i)}`,
  BLOCK_OVERLAPS_METADATA: (i) => `${block(i)} se solapa con los metadatos${at(i)}`,
  BLOCK_BEYOND_DISK: (i) => `${block(i)} está asignado pero queda después del final del disco${at(i)}`,
  EMPTY_BITMAP: (i) => `${block(i)} está asignado pero su mapa de bits no marca ningún sector${at(i)}`,
  BITMAP_BEYOND_DISK: (i) => `${block(i)} marca sectores después del final del disco (QEMU marca todos los bits de un bloque nuevo)${at(i)}`,
  BLOCKS_OVERLAP: (i) => `dos bloques se solapan${at(i)}`,
  PARENT_NOT_FOUND: () => 'no se encuentra el primario a través de ningún localizador',
  PARENT_UNREADABLE: () => 'el primario no se puede leer',
  PARENT_MISMATCH: () => 'el identificador único del primario no es el que espera el hijo',
  PARENT_SIZE_MISMATCH: () => 'el primario y el hijo tienen tamaños virtuales distintos',
  PARENT_TIMESTAMP_MISMATCH: () => 'la hora de modificación del primario no coincide con la marca de tiempo guardada en el hijo',
  CHAIN_LOOP: () => 'la cadena de primarios vuelve a una imagen que ya contiene (bucle)',
  CHAIN_TOO_DEEP: () => 'la cadena de primarios tiene más imágenes de las que se pueden abrir',
  FOOTER_CHECKSUM: (i) => `pie: la suma de comprobación no coincide${at(i)}`,
  HEADER_CHECKSUM: (i) => `cabecera: la suma de comprobación no coincide${at(i)}`,
};

/** Decoder problems arrive as FOOTER_<code> / HEADER_<code> (vhd-format's codes). */
function decoderProblemText(issue: CheckIssue): string | undefined {
  const match = /^(FOOTER|HEADER)_([A-Z_]+)$/.exec(issue.code);
  if (match === null) return undefined;
  const where = match[1] === 'FOOTER' ? 'pie' : 'cabecera';
  return `${where}: ${formatProblemDetail({ code: match[2] as VhdFormatErrorCode, message: issue.message }, 'es')}${at(issue)}`;
}

export function issueLine(issue: CheckIssue, lang: Language, prefix?: 'repaired'): string {
  if (lang === 'en') return `${prefix ?? issue.severity} ${issue.code}: ${issue.message}`;
  const textEs = ISSUE_TEXT_ES[issue.code]?.(issue) ?? decoderProblemText(issue) ?? `problema sin descripción en español${at(issue)}`;
  return `${prefix === undefined ? SEVERITY_ES[issue.severity] : 'reparado'} ${issue.code}: ${textEs}`;
}

type Outcome = 'clean' | 'problems found' | 'problems remain';
const OUTCOME_ES: Record<Outcome, string> = { clean: 'sin problemas', 'problems found': 'se encontraron problemas', 'problems remain': 'quedan problemas' };

export function checkReportLines(report: CheckReport, path: string, lang: Language): string[] {
  const outcome: Outcome = report.ok ? 'clean' : 'problems found';
  // A hostile image can hold millions of issues: the report keeps the first examples of each code and counts the rest.
  const omitted = report.omittedIssues === undefined || report.omittedIssues === 0 ? [] : [
    lang === 'es' ? `(${report.omittedIssues} problemas más del mismo tipo no se muestran)` : `(${report.omittedIssues} more issues of the same kinds not shown)`,
  ];
  return [...report.issues.map((issue) => issueLine(issue, lang)), ...omitted, `${path}: ${lang === 'es' ? OUTCOME_ES[outcome] : outcome}`];
}

export function repairReportLines(outcome: { repaired: CheckIssue[]; after: CheckReport }, path: string, lang: Language): string[] {
  const result: Outcome = outcome.after.ok ? 'clean' : 'problems remain';
  return [
    ...outcome.repaired.map((issue) => issueLine(issue, lang, 'repaired')),
    ...outcome.after.issues.map((issue) => issueLine(issue, lang)),
    `${path}: ${lang === 'es' ? OUTCOME_ES[result] : result}`,
  ];
}
