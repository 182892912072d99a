// IAM policy evaluation for the rehearsal, for exactly the grammar CDK emits in this stack's
// identity-based policies: Allow and Deny statements, Action and Resource with `*` and `?`, and the
// String, Arn and Bool condition operators (with IfExists) and Null. Anything else (NotAction,
// NotResource, Principal, set operators, other operators) is refused loudly, never guessed at.
// The rules are AWS's documented evaluation logic for one account without SCPs, boundaries or
// session policies: an explicit Deny wins, then any Allow, else the request is implicitly denied.

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** One request to authorize: what the call needs, on which resource, with the condition keys it carries. */
export interface AuthRequest {
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, string>>;
}

export type Verdict = 'allowed' | 'explicitly denied' | 'implicitly denied';

const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Action', 'Resource', 'Condition']);

/** Refuses a statement this evaluator does not understand, naming what it does not. */
export function checkStatement(statement: Record<string, unknown>): Statement {
  for (const key of Object.keys(statement))
    if (!STATEMENT_KEYS.has(key))
      throw new Error(`the rehearsal's IAM evaluator does not support the policy element ${key}`);
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny')
    throw new Error(`a policy statement's Effect must be Allow or Deny, not ${String(statement.Effect)}`);
  for (const key of ['Action', 'Resource'] as const) {
    const value = statement[key];
    if (typeof value !== 'string' && !(Array.isArray(value) && value.every((v) => typeof v === 'string')))
      throw new Error(
        `a policy statement's ${key} must be a string or strings, not ${JSON.stringify(value)}`,
      );
  }
  for (const [operator, keys] of Object.entries((statement.Condition ?? {}) as Record<string, unknown>)) {
    operatorOf(operator);
    for (const values of Object.values(keys as Record<string, unknown>))
      for (const v of [values].flat())
        if (typeof v !== 'string' && typeof v !== 'boolean')
          throw new Error(
            `condition ${operator} compares with ${JSON.stringify(v)}: only strings are supported`,
          );
  }
  return statement as unknown as Statement;
}

/** What the statements decide for the request. */
export function evaluate(statements: readonly Statement[], request: AuthRequest): Verdict {
  const applies = statements.filter((s) => matches(s, request));
  if (applies.some((s) => s.Effect === 'Deny')) return 'explicitly denied';
  return applies.some((s) => s.Effect === 'Allow') ? 'allowed' : 'implicitly denied';
}

const list = (value: string | readonly string[]) => (typeof value === 'string' ? [value] : value);

function matches(statement: Statement, request: AuthRequest): boolean {
  if (!list(statement.Action).some((pattern) => glob(pattern, request.action, true))) return false;
  // A request the rehearsal can only name as `*` (the call names no resource): an Allow must be on
  // `*`, and a Deny of the action applies whatever resources it names (the pessimistic reading).
  const deny = statement.Effect === 'Deny';
  if (
    !(deny && request.resource === '*') &&
    !list(statement.Resource).some((pattern) => glob(pattern, request.resource, false))
  )
    return false;
  // Condition keys are matched in any case, as AWS matches them.
  const context = new Map(Object.entries(request.context).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, values]) => {
      const value = context.get(key.toLowerCase());
      // A Deny that needs a key the rehearsal does not supply would never apply here, and might on
      // AWS (an absent key makes only a positive operator false).
      const kind = operatorOf(operator);
      if (deny && value === undefined && kind !== 'Null' && !kind.negated && !kind.ifExists)
        throw new Error(
          `the rehearsal does not supply the condition key ${key} of a Deny on ${request.action}`,
        );
      return conditionHolds(operator, value, [values].flat().map(String));
    }),
  );
}

const compiled = new Map<string, RegExp>();

/** `*` any run of characters, `?` any one; actions match in any case, everything else exactly. */
export function glob(pattern: string, value: string, anyCase: boolean): boolean {
  const key = `${anyCase ? 'i' : 's'}${pattern}`;
  let regex = compiled.get(key);
  if (!regex) {
    const source = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
      .join('');
    regex = new RegExp(`^${source}$`, anyCase ? 'is' : 's');
    compiled.set(key, regex);
  }
  return regex.test(value);
}

/** ArnLike and ArnEquals: each of the first five colon-separated parts, and the rest, matched on its own. */
function arnLike(pattern: string, value: string): boolean {
  const split = (arn: string) => {
    const parts = arn.split(':');
    return [...parts.slice(0, 5), parts.slice(5).join(':')];
  };
  const p = split(pattern);
  const v = split(value);
  return p.length === v.length && p.every((part, i) => glob(part, v[i] ?? '', false));
}

type Operator = { test: (value: string, wanted: string) => boolean; negated: boolean; ifExists: boolean };

const BASE: Record<string, { test: (value: string, wanted: string) => boolean; negated: boolean }> = {
  StringEquals: { test: (v, w) => v === w, negated: false },
  StringNotEquals: { test: (v, w) => v === w, negated: true },
  StringEqualsIgnoreCase: { test: (v, w) => v.toLowerCase() === w.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { test: (v, w) => v.toLowerCase() === w.toLowerCase(), negated: true },
  StringLike: { test: (v, w) => glob(w, v, false), negated: false },
  StringNotLike: { test: (v, w) => glob(w, v, false), negated: true },
  ArnEquals: { test: (v, w) => arnLike(w, v), negated: false },
  ArnLike: { test: (v, w) => arnLike(w, v), negated: false },
  ArnNotEquals: { test: (v, w) => arnLike(w, v), negated: true },
  ArnNotLike: { test: (v, w) => arnLike(w, v), negated: true },
  Bool: { test: (v, w) => v.toLowerCase() === w.toLowerCase(), negated: false },
};

function operatorOf(name: string): Operator | 'Null' {
  if (name === 'Null') return 'Null';
  const ifExists = name.endsWith('IfExists');
  const base = BASE[ifExists ? name.slice(0, -'IfExists'.length) : name];
  if (!base || name.includes(':'))
    throw new Error(`the rehearsal's IAM evaluator does not support the condition operator ${name}`);
  return { ...base, ifExists };
}

/**
 * One condition key of one operator. A key the request does not carry: a positive operator does not
 * hold, a negated one does, ...IfExists holds; Null holds when its `true` / `false` says whether the
 * key is absent. Several values: a positive operator holds if any matches, a negated one if none does.
 */
function conditionHolds(operatorName: string, value: string | undefined, wanted: readonly string[]): boolean {
  const operator = operatorOf(operatorName);
  if (operator === 'Null') return wanted.some((w) => (w.toLowerCase() === 'true') === (value === undefined));
  if (value === undefined) return operator.ifExists || operator.negated;
  const any = wanted.some((w) => operator.test(value, w));
  return operator.negated ? !any : any;
}
