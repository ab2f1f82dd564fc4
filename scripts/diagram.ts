/** Prints the ladder as Mermaid; with --write, refreshes the copy in README.md between its markers. */
import { readFileSync, writeFileSync } from 'node:fs';
import { ladderDiagram, README_PATH, withDiagram } from '../workflows/diagram';

if (process.argv.includes('--write')) {
  writeFileSync(README_PATH, withDiagram(readFileSync(README_PATH, 'utf8')));
  console.log(`Updated the ladder diagram in ${README_PATH}`);
} else {
  console.log(ladderDiagram());
}
