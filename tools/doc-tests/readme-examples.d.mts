/** One fenced js/ts block of a README; `file` is relative to the repository root, `line` is its opening fence. */
export interface ReadmeExample {
  file: string;
  line: number;
  lang: 'js' | 'ts';
  code: string;
  expectedOutput: string[];
}
export const repoRoot: string;
export const PLACEHOLDER_ROOTS: string[];
export function readmeFiles(): string[];
export function examplesIn(text: string, file: string): ReadmeExample[];
export function expectedOutputOf(code: string): string[];
export function allExamples(): ReadmeExample[];
export function exampleName(example: ReadmeExample): string;
export function rewritePlaceholderPaths(code: string, folder: string): string;
