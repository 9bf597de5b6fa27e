// What a package exports, read from its declaration files with TypeScript 5's compiler API: each export's name, kind,
// doc comment and declaration text. Used by api-reference.mjs (the reference and the undocumented-export check).
import ts from 'typescript5';

const KIND_ORDER = ['class', 'function', 'constant', 'enum', 'interface', 'type'];

/**
 * @param {string[]} entries absolute paths of `index.d.ts` files
 * @param {object} [compilerOptions] overrides (tests leave out `@types/node` and the DOM library, which take seconds)
 * @returns {{ entry: string, exports: { name: string, kind: string, doc: string, declaration: string, declaredIn: string }[] }[]}
 */
export function apiModel(entries, compilerOptions = {}) {
  const program = ts.createProgram(entries, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    ...compilerOptions,
  });
  const checker = program.getTypeChecker();
  /** The symbol an export stands for (through `export { x } from`, `export *` and re-exports of other packages). */
  const target = (symbol) => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
  return entries.map((entry) => {
    const source = program.getSourceFile(entry);
    if (!source) throw new Error(`${entry} is missing (build first)`);
    const moduleSymbol = checker.getSymbolAtLocation(source);
    const exports = (moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : []).map((exported) => {
      const symbol = target(exported);
      return {
        name: exported.name,
        kind: kindOf(symbol),
        doc: ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim(),
        declaration: declarationText(symbol),
        declaredIn: symbol.declarations?.[0]?.getSourceFile().fileName ?? '?',
      };
    });
    exports.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.name.localeCompare(b.name));
    return { entry, exports };
  });
}

function kindOf(symbol) {
  const flags = symbol.flags;
  if (flags & ts.SymbolFlags.Class) return 'class';
  if (flags & ts.SymbolFlags.Function) return 'function';
  if (flags & ts.SymbolFlags.Enum) return 'enum';
  if (flags & ts.SymbolFlags.Variable) return 'constant';
  if (flags & ts.SymbolFlags.Interface) return 'interface';
  return 'type';
}

/** The declaration as the .d.ts writes it, without `export declare` and its own doc comment (members' stay). */
function declarationText(symbol) {
  return (symbol.declarations ?? [])
    .filter((declaration) => !ts.isSourceFile(declaration))
    .map((declaration) => {
      const node = ts.isVariableDeclaration(declaration) ? declaration.parent.parent : declaration;
      return node.getText().replace(/^export\s+(declare\s+)?/, '');
    })
    .join('\n');
}
