/** One export of a package, as its declarations describe it. */
export interface ApiExport {
  name: string;
  kind: 'class' | 'function' | 'constant' | 'enum' | 'interface' | 'type';
  /** The doc comment's text; empty when there is none. */
  doc: string;
  declaration: string;
  declaredIn: string;
}
/** `compilerOptions` overrides the defaults (ES2022 + DOM libraries, `@types/node`, NodeNext resolution). */
export function apiModel(entries: string[], compilerOptions?: Record<string, unknown>): { entry: string; exports: ApiExport[] }[];
