/** A failure as the user should see it: the typed error's class, code and message, and where it happened. */
import { VhdFormatError, VhdSourceError, VhdChainError } from '@vhdkit/vhd-format';
import { h } from './dom.js';

export function errorBox(title: string, error: unknown): HTMLElement {
  const code = typedCode(error);
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return h(
    'div',
    { className: 'error-box', data: { code: code ?? '' } },
    h('strong', {}, title),
    h('p', {}, h('span', { className: 'code' }, code ? `${name} ${code}` : name), ' ', message),
    ...details(error).map((line) => h('p', { className: 'muted' }, line)),
  );
}

function typedCode(error: unknown): string | undefined {
  if (error instanceof VhdFormatError || error instanceof VhdSourceError) return error.code;
  return undefined;
}

function details(error: unknown): string[] {
  if (error instanceof VhdChainError) return [`child: ${error.childName}`];
  if (error instanceof VhdFormatError) return [`at byte offset ${error.offset}${error.field ? ` (field ${error.field})` : ''}`];
  if (error instanceof VhdSourceError) {
    const where = [`source: ${error.source}`];
    if (error.status !== undefined) where.push(`HTTP status ${error.status}`);
    if (error.offset !== undefined) where.push(`read at offset ${error.offset}`);
    return [where.join(', ')];
  }
  return [];
}
