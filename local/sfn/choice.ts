/**
 * Choice rules, as AWS evaluates them: a comparison on a type the operator does not expect is
 * false (not an error), a `Variable` (or `...Path` operand) that is not in the input is
 * States.Runtime — except for IsPresent, whose whole point is to ask.
 */
import { pathExists, readPath, runtimeError, type ChoiceRule, type Json } from './asl';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function timestamp(value: Json | undefined): number | undefined {
  if (typeof value !== 'string' || !RFC3339.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `*` matches any run of characters; `\*` is a literal star and `\\` a literal backslash. */
function wildcardMatches(value: string, pattern: string): boolean {
  let regex = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i]!;
    if (c === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '\\')) regex += `\\${pattern[++i]}`;
    else if (c === '*') regex += '.*';
    else regex += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${regex}$`, 's').test(value);
}

type Compare = (a: Json, b: Json) => boolean;

const cmp = <T>(read: (v: Json) => T | undefined, test: (a: T, b: T) => boolean): Compare =>
  (a, b) => {
    const [x, y] = [read(a), read(b)];
    return x !== undefined && y !== undefined && test(x, y);
  };
const asString = (v: Json): string | undefined => (typeof v === 'string' ? v : undefined);
const asNumber = (v: Json): number | undefined => (typeof v === 'number' ? v : undefined);
const asBoolean = (v: Json): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
const asTimestamp = (v: Json): number | undefined => timestamp(v);

const ORDER = {
  Equals: (a: number | string | boolean, b: number | string | boolean) => a === b,
  LessThan: (a: number | string, b: number | string) => a < b,
  GreaterThan: (a: number | string, b: number | string) => a > b,
  LessThanEquals: (a: number | string, b: number | string) => a <= b,
  GreaterThanEquals: (a: number | string, b: number | string) => a >= b,
};

const COMPARISONS: Record<string, Compare> = {};
for (const [suffix, test] of Object.entries(ORDER)) {
  COMPARISONS[`String${suffix}`] = cmp(asString, test);
  COMPARISONS[`Numeric${suffix}`] = cmp(asNumber, test);
  COMPARISONS[`Timestamp${suffix}`] = cmp(asTimestamp, test);
}
COMPARISONS.BooleanEquals = cmp(asBoolean, ORDER.Equals);
COMPARISONS.StringMatches = cmp(asString, wildcardMatches);

const TYPE_TESTS: Record<string, (value: Json) => boolean> = {
  IsNull: (v) => v === null,
  IsString: (v) => typeof v === 'string',
  IsNumeric: (v) => typeof v === 'number',
  IsBoolean: (v) => typeof v === 'boolean',
  IsTimestamp: (v) => timestamp(v) !== undefined,
};

export const CHOICE_OPERATORS = [
  ...Object.keys(COMPARISONS),
  ...Object.keys(COMPARISONS).filter((op) => op !== 'StringMatches').map((op) => `${op}Path`),
  ...Object.keys(TYPE_TESTS),
  'IsPresent',
];

export function evaluateRule(rule: ChoiceRule, input: Json): boolean {
  if (rule.And) return rule.And.every((r) => evaluateRule(r, input));
  if (rule.Or) return rule.Or.some((r) => evaluateRule(r, input));
  if (rule.Not) return !evaluateRule(rule.Not, input);
  const variable = rule.Variable;
  const operator = CHOICE_OPERATORS.find((op) => rule[op] !== undefined);
  if (variable === undefined || operator === undefined) throw runtimeError(`Invalid choice rule ${JSON.stringify(rule)}`);
  const operand = rule[operator] as Json;

  if (operator === 'IsPresent') return pathExists(input, variable) === operand;
  const value = readPath(input, variable, 'Variable');
  const typeTest = TYPE_TESTS[operator];
  if (typeTest) return typeTest(value) === operand;
  if (operator.endsWith('Path')) {
    if (typeof operand !== 'string') throw runtimeError(`${operator} must be a path`);
    return COMPARISONS[operator.slice(0, -4)]!(value, readPath(input, operand, operator));
  }
  return COMPARISONS[operator]!(value, operand);
}

/** The first matching rule's Next, else the Default; undefined when neither (the caller fails). */
export function chooseNext(choices: ChoiceRule[], fallback: string | undefined, input: Json): string | undefined {
  return choices.find((rule) => evaluateRule(rule, input))?.Next ?? fallback;
}
