import { describe, expect, it } from 'vitest';
import {
  applyResultPath,
  errorMatches,
  evaluateIntrinsic,
  readPath,
  resolveTemplate,
  selectPath,
  StatesError,
  type ChoiceRule,
  type Json,
} from '../../local/sfn/asl';
import { chooseNext, evaluateRule } from '../../local/sfn/choice';

const runtime = (fn: () => unknown): void => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StatesError);
    expect((error as StatesError).error).toBe('States.Runtime');
    return;
  }
  throw new Error('expected States.Runtime');
};

describe('JSONPath', () => {
  const data: Json = { a: { b: [10, 20, 30], 'odd key': 1 }, items: [{ id: 'x' }, { id: 'y' }] };

  it('reads definite paths', () => {
    expect(readPath(data, '$')).toEqual(data);
    expect(readPath(data, '$.a.b[1]')).toBe(20);
    expect(readPath(data, "$.a['odd key']")).toBe(1);
    expect(readPath(data, '$.a.b[-1]')).toBe(30);
  });

  it('reads indefinite paths as arrays', () => {
    expect(readPath(data, '$.items[*].id')).toEqual(['x', 'y']);
    expect(readPath(data, '$.a.b[0:2]')).toEqual([10, 20]);
    expect(readPath(data, '$.a.b[1:]')).toEqual([20, 30]);
    expect(readPath(data, '$.items.*.id')).toEqual(['x', 'y']);
    expect(readPath(data, '$.missing[*]')).toEqual([]);
  });

  it('fails a missing definite path as States.Runtime', () => {
    runtime(() => readPath(data, '$.nope'));
    runtime(() => readPath(data, '$.a.b[7]'));
    runtime(() => readPath(data, 'a.b'));
    runtime(() => readPath(data, '$..id')); // deep scan and filters are not supported
    runtime(() => readPath(data, '$.items[?(@.id)]'));
  });

  it('applies InputPath/OutputPath, with null meaning {}', () => {
    expect(selectPath(data, '$.a.b', 'InputPath')).toEqual([10, 20, 30]);
    expect(selectPath(data, null, 'InputPath')).toEqual({});
    expect(selectPath(data, undefined, 'OutputPath')).toBe(data);
    expect(selectPath(data, null, 'OutputPath')).toEqual({});
  });
});

describe('ResultPath', () => {
  it('replaces, discards, or merges into a copy of the input', () => {
    const input = { keep: 1, a: { x: 1 } };
    expect(applyResultPath(input, 'r', '$')).toBe('r');
    expect(applyResultPath(input, 'r', undefined)).toBe('r');
    expect(applyResultPath(input, 'r', null)).toBe(input);
    expect(applyResultPath(input, 'r', '$.a.b.c')).toEqual({ keep: 1, a: { x: 1, b: { c: 'r' } } });
    expect(applyResultPath(input, 'r', '$.keep')).toEqual({ keep: 'r', a: { x: 1 } });
    expect(input).toEqual({ keep: 1, a: { x: 1 } }); // untouched
  });

  it('cannot merge into a non-object input', () => {
    runtime(() => applyResultPath('text', 'r', '$.a'));
    runtime(() => applyResultPath({ a: 'text' }, 'r', '$.a.b'));
  });
});

describe('payload templates', () => {
  const context: Json = { Execution: { Name: 'run-1' }, Task: { Token: 'tok' } };

  it('resolves .$ keys from the input, the context and intrinsics, leaving others as they are', () => {
    const template: Json = {
      literal: '$.not-a-path',
      'fromInput.$': '$.who',
      'fromContext.$': '$$.Execution.Name',
      'token.$': '$$.Task.Token',
      nested: [{ 'greeting.$': "States.Format('Hello {}, you are {}', $.who, $.age)" }],
    };
    expect(resolveTemplate(template, { who: 'Ada', age: 36 }, context)).toEqual({
      literal: '$.not-a-path',
      fromInput: 'Ada',
      fromContext: 'run-1',
      token: 'tok',
      nested: [{ greeting: 'Hello Ada, you are 36' }],
    });
  });

  it('fails a .$ path that is not in the input as States.Runtime', () => {
    runtime(() => resolveTemplate({ 'x.$': '$.missing' }, {}, context));
    runtime(() => resolveTemplate({ 'x.$': 'not a path' }, {}, context));
  });
});

describe('intrinsic functions', () => {
  const data: Json = { list: [1, 2, 2, 3], json: '{"a":[1]}', n: 5, name: 'x' };
  const run = (text: string): Json => evaluateIntrinsic(text, data, {});

  it.each<[string, Json]>([
    ["States.Format('{} and {}', $.name, $.n)", 'x and 5'],
    ["States.Format('literal \\{\\} {}', $.name)", 'literal {} x'],
    ['States.StringToJson($.json)', { a: [1] }],
    ['States.JsonToString($.list)', '[1,2,2,3]'],
    ["States.Array(1, 'two', $.n, true, null)", [1, 'two', 5, true, null]],
    ['States.MathAdd($.n, -7)', -2],
    ['States.ArrayLength($.list)', 4],
    ['States.ArrayUnique($.list)', [1, 2, 3]],
    ['States.ArrayContains($.list, 3)', true],
    ['States.ArrayGetItem($.list, 3)', 3],
    ['States.ArrayLength(States.Array($.n, $.n))', 2],
  ])('%s', (text, expected) => {
    expect(run(text)).toEqual(expected);
  });

  it('makes UUIDs', () => {
    expect(run('States.UUID()')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports failures as States.Runtime', () => {
    runtime(() => run('States.ArrayGetItem($.list, 10)'));
    runtime(() => run("States.Format('{} {}', $.n)"));
    runtime(() => run('States.Nope(1)'));
    runtime(() => run('States.MathAdd($.name, 1)'));
  });
});

describe('error matching', () => {
  it('follows AWS wildcards', () => {
    const custom = new StatesError('CaseNotFound', 'x');
    const timeout = new StatesError('States.Timeout', undefined, ['States.HeartbeatTimeout']);
    const fatal = new StatesError('States.Runtime', 'x');
    expect(errorMatches(['CaseNotFound'], custom)).toBe(true);
    expect(errorMatches(['States.TaskFailed'], custom)).toBe(true);
    expect(errorMatches(['States.TaskFailed'], timeout)).toBe(false);
    expect(errorMatches(['States.HeartbeatTimeout'], timeout)).toBe(true);
    expect(errorMatches(['States.ALL'], timeout)).toBe(true);
    expect(errorMatches(['States.ALL'], fatal)).toBe(false);
    expect(errorMatches(['States.Runtime'], fatal)).toBe(false);
  });
});

describe('choice rules', () => {
  const input: Json = { s: 'apple', n: 5, b: true, t: '2025-03-15T10:00:00Z', later: '2025-09-15T10:00:00Z', nul: null, other: 5 };
  it.each<[ChoiceRule, boolean]>([
    [{ Variable: '$.s', StringEquals: 'apple' }, true],
    [{ Variable: '$.s', StringLessThan: 'banana' }, true],
    [{ Variable: '$.s', StringGreaterThanEquals: 'apple' }, true],
    [{ Variable: '$.s', StringMatches: 'ap*e' }, true],
    [{ Variable: '$.s', StringMatches: 'ap\\*' }, false],
    [{ Variable: '$.n', NumericEquals: 5 }, true],
    [{ Variable: '$.n', NumericGreaterThan: 5 }, false],
    [{ Variable: '$.n', NumericLessThanEquals: 5 }, true],
    [{ Variable: '$.n', NumericEqualsPath: '$.other' }, true],
    [{ Variable: '$.s', NumericEquals: 5 }, false], // wrong type: false, not an error
    [{ Variable: '$.b', BooleanEquals: true }, true],
    [{ Variable: '$.t', TimestampLessThan: '2025-03-16T00:00:00Z' }, true],
    [{ Variable: '$.t', TimestampLessThanPath: '$.later' }, true],
    [{ Variable: '$.t', TimestampEquals: '2025-03-15T10:00:00.000Z' }, true],
    [{ Variable: '$.s', TimestampEquals: '2025-03-15T10:00:00Z' }, false],
    [{ Variable: '$.missing', IsPresent: false }, true],
    [{ Variable: '$.nul', IsNull: true }, true],
    [{ Variable: '$.n', IsNumeric: true }, true],
    [{ Variable: '$.s', IsString: true }, true],
    [{ Variable: '$.b', IsBoolean: true }, true],
    [{ Variable: '$.t', IsTimestamp: true }, true],
    [{ Variable: '$.s', IsTimestamp: true }, false],
    [{ And: [{ Variable: '$.n', NumericGreaterThan: 1 }, { Not: { Variable: '$.s', StringEquals: 'pear' } }] }, true],
    [{ Or: [{ Variable: '$.n', NumericGreaterThan: 10 }, { Variable: '$.b', BooleanEquals: false }] }, false],
  ])('%j → %s', (rule, expected) => {
    expect(evaluateRule(rule, input)).toBe(expected);
  });

  it('fails on a missing Variable (States.Runtime), picks the first match, else the Default', () => {
    runtime(() => evaluateRule({ Variable: '$.missing', StringEquals: 'x' }, input));
    const rules = [
      { Variable: '$.n', NumericLessThan: 3, Next: 'Small' },
      { Variable: '$.n', NumericLessThan: 10, Next: 'Medium' },
      { Variable: '$.n', NumericLessThan: 100, Next: 'Large' },
    ];
    expect(chooseNext(rules, 'Other', input)).toBe('Medium');
    expect(chooseNext(rules.slice(0, 1), 'Other', input)).toBe('Other');
    expect(chooseNext(rules.slice(0, 1), undefined, input)).toBeUndefined();
  });
});
