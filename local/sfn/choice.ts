/**
 * Choice rules, as AWS evaluates them: a comparison on a type the operator does not expect is
 * false (not an error); a `Variable` (or `...Path` operand) that is not in the input is
 * States.Runtime — except for IsPresent, whose whole point is to ask.
 */
import { pathExists, readPath, runtimeError, type ChoiceRule, type Json } from './asl';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
function timestamp(v: Json): number | undefined {
  const ms = typeof v === 'string' && RFC3339.test(v) ? Date.parse(v) : NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

/** `*` matches any run of characters; `\*` is a literal star and `\\` a literal backslash. */
function wildcardMatches(value: string, pattern: string): boolean {
  const regex = pattern.replace(/\\([*\\])|(\*)|([^*\\]+|\\)/g, (_, escaped?: string, star?: string, text = '') =>
    escaped ? `\\${escaped}` : star ? '.*' : text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'),
  );
  return new RegExp(`^${regex}$`, 's').test(value);
}

type Compare = (a: Json, b: Json) => boolean;
/** Compares two values read as one type; a value not of that type makes the comparison false. */
const as = <T>(read: (v: Json) => T | undefined, test: (a: T, b: T) => boolean): Compare => (a, b) => {
  const [x, y] = [read(a), read(b)];
  return x !== undefined && y !== undefined && test(x, y);
};
const readers = {
  String: (v: Json) => (typeof v === 'string' ? v : undefined),
  Numeric: (v: Json) => (typeof v === 'number' ? v : undefined),
  Timestamp: timestamp,
};
const orders: Record<string, (a: number | string, b: number | string) => boolean> = {
  Equals: (a, b) => a === b,
  LessThan: (a, b) => a < b,
  GreaterThan: (a, b) => a > b,
  LessThanEquals: (a, b) => a <= b,
  GreaterThanEquals: (a, b) => a >= b,
};

const COMPARISONS: Record<string, Compare> = {
  BooleanEquals: as((v) => (typeof v === 'boolean' ? v : undefined), (a, b) => a === b),
  StringMatches: as(readers.String, wildcardMatches),
};
for (const [type, read] of Object.entries(readers)) {
  for (const [order, test] of Object.entries(orders)) COMPARISONS[`${type}${order}`] = as<number | string>(read, test);
}

const TYPE_TESTS: Record<string, (value: Json) => boolean> = {
  IsNull: (v) => v === null,
  IsString: (v) => typeof v === 'string',
  IsNumeric: (v) => typeof v === 'number',
  IsBoolean: (v) => typeof v === 'boolean',
  IsTimestamp: (v) => timestamp(v) !== undefined,
};

const OPERATORS = [
  ...Object.keys(COMPARISONS),
  ...Object.keys(COMPARISONS).filter((op) => op !== 'StringMatches').map((op) => `${op}Path`),
  ...Object.keys(TYPE_TESTS),
  'IsPresent',
];

export function evaluateRule(rule: ChoiceRule, input: Json): boolean {
  if (rule.And) return rule.And.every((r) => evaluateRule(r, input));
  if (rule.Or) return rule.Or.some((r) => evaluateRule(r, input));
  if (rule.Not) return !evaluateRule(rule.Not, input);
  const operator = OPERATORS.find((op) => rule[op] !== undefined);
  if (rule.Variable === undefined || operator === undefined) throw runtimeError(`Invalid choice rule ${JSON.stringify(rule)}`);
  const operand = rule[operator] as Json;
  if (operator === 'IsPresent') return pathExists(input, rule.Variable) === operand;
  const value = readPath(input, rule.Variable, 'Variable');
  const typeTest = TYPE_TESTS[operator];
  if (typeTest) return typeTest(value) === operand;
  if (!operator.endsWith('Path')) return COMPARISONS[operator]!(value, operand);
  if (typeof operand !== 'string') throw runtimeError(`${operator} must be a path`);
  return COMPARISONS[operator.slice(0, -4)]!(value, readPath(input, operand, operator));
}

/** The first matching rule's Next, else the Default; undefined when neither (the caller fails). */
export function chooseNext(choices: ChoiceRule[], fallback: string | undefined, input: Json): string | undefined {
  return choices.find((rule) => evaluateRule(rule, input))?.Next ?? fallback;
}
