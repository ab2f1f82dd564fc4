/**
 * `npm run import:contracts -- <file.csv|file.xlsx> [--apply]` (and the tracker and neighbours'
 * imports): shows what the file would change, and applies it with `--apply`. Exit codes: 0 done
 * (rejected rows are listed, the rest applied), 1 failed, 2 usage, 3 a required column is missing.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { MissingColumns } from './table-file';
import type { Rejection } from './register';
import type { RegisterPlan } from './contracts-import';
import { MATCH_WORDS, NEIGHBOUR_STATUS_WORDS, type NeighbourPlan } from './neighbours';
import { longDate } from '../lib/dates';

export interface Writer {
  write(text: string): unknown;
}

export interface CouncilCliCommand<P> {
  usage: string;
  preview(body: Buffer, fileName: string, options: Record<string, string>): Promise<P>;
  apply(body: Buffer, fileName: string, options: Record<string, string>): Promise<P>;
  format(plan: P, applied: boolean): string;
  /** Options taken as `--name value`. */
  options?: string[];
}

export function rejectionLines(rejections: readonly Rejection[], limit = 200): string[] {
  const lines = rejections.slice(0, limit).map((rejection) => `  line ${rejection.line}: ${rejection.field} ${rejection.reason}${rejection.value ? ` (${JSON.stringify(rejection.value)})` : ''}`);
  if (rejections.length > limit) lines.push(`  … and ${rejections.length - limit} more`);
  return lines;
}

export function formatRegisterPlan(plan: RegisterPlan, applied: boolean): string {
  const { summary } = plan;
  const lines = [
    `${plan.file}: ${plan.rowsRead} rows after the header (line ${plan.headerLine}), ${plan.format.toUpperCase()}`,
    `${applied ? 'Applied' : 'Would apply'}: ${summary.added} contracts added, ${summary.changed} changed, ${summary.ended} ended, ${summary.unchanged} unchanged; contacts ${summary.contactsAdded} added, ${summary.contactsChanged} changed.`,
  ];
  for (const change of plan.contracts.filter((item) => item.kind !== 'unchanged')) {
    lines.push(`  ${change.kind.padEnd(7)} ${change.contractId} (${change.locationIds.join(', ')})${change.fields.length ? `: ${change.fields.join(', ')}` : ''}`);
  }
  if (plan.rejections.length) lines.push(`Rejected (${plan.rejections.length}):`, ...rejectionLines(plan.rejections));
  if (plan.unusedColumns.length) lines.push(`Columns not used: ${plan.unusedColumns.join(', ')}`);
  if (plan.notInFile.length) lines.push(`Live contracts on record that this file does not mention (left as they are): ${plan.notInFile.join(', ')}`);
  if (!applied) lines.push('Nothing has been changed. Run again with --apply to apply it.');
  return `${lines.join('\n')}\n`;
}

export function formatNeighbourPlan(plan: NeighbourPlan, applied: boolean): string {
  const { summary } = plan;
  const dateFrom = plan.listDateFrom === 'file' ? 'from the file' : plan.listDateFrom === 'given' ? 'as given' : 'the day it was imported';
  const lines = [
    `${plan.file}: ${plan.rowsRead} rows after the header (line ${plan.headerLine}), ${plan.fileFormat.toUpperCase()}, ${plan.format === 'memo' ? 'a Managed Placements Memo CSV' : 'the simple format'}`,
    `${plan.authority}'s list of ${longDate(plan.listDate)} (${dateFrom}).`,
    plan.kind === 'unchanged'
      ? 'It is the list on record already: nothing changes.'
      : `${applied ? 'Applied' : 'Would apply'}: ${plan.kind === 'replaced' ? `replaces the list of ${longDate(plan.before!.listDate)} (${plan.before!.entryCount} rows)` : 'a new source'}; ${summary.entries} rows, ${summary.matchedById} matched by CQC location id, ${summary.matchedByNamePostcode} by name and postcode, ${summary.unmatched} unmatched.`,
  ];
  for (const entry of plan.entries) {
    const what = `${entry.locationName ?? entry.locationId}${entry.postcode ? `, ${entry.postcode}` : ''}: ${NEIGHBOUR_STATUS_WORDS[entry.rag]} since ${longDate(entry.since)}`;
    lines.push(`  line ${entry.line}: ${what} — ${entry.match ? `${MATCH_WORDS[entry.match.by]} (${entry.match.name}, ${entry.match.locationId})` : `unmatched: ${entry.unmatched}`}`);
  }
  if (plan.rejections.length) lines.push(`Rejected (${plan.rejections.length}):`, ...rejectionLines(plan.rejections));
  if (plan.unusedColumns.length) lines.push(`Columns not used: ${plan.unusedColumns.join(', ')}`);
  if (!applied && plan.kind !== 'unchanged') lines.push('Nothing has been changed. Run again with --apply to apply it.');
  return `${lines.join('\n')}\n`;
}

export async function runCouncilCli<P>(argv: string[], command: CouncilCliCommand<P>, io: { stdout: Writer; stderr: Writer }): Promise<number> {
  const options: Record<string, string> = {};
  let file: string | undefined;
  let apply = false;
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index]!;
    if (arg === '--apply') apply = true;
    else if (arg.startsWith('--') && command.options?.includes(arg.slice(2)) && argv[index + 1] !== undefined) options[arg.slice(2)] = argv[++index]!;
    else if (!arg.startsWith('--') && !file) file = arg;
    else {
      io.stderr.write(`Unknown argument ${arg}\n${command.usage}\n`);
      return 2;
    }
  }
  if (!file) {
    io.stderr.write(`${command.usage}\n`);
    return 2;
  }
  try {
    const body = await readFile(file);
    const plan = apply ? await command.apply(body, basename(file), options) : await command.preview(body, basename(file), options);
    io.stdout.write(command.format(plan, apply));
    return 0;
  } catch (error) {
    if (error instanceof MissingColumns) {
      io.stderr.write(`${error.message}\n`);
      return 3;
    }
    io.stderr.write(`import failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
