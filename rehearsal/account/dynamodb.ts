// Simulated DynamoDB tables, with the condition and filter expressions the workers use (comparisons,
// attribute_exists / attribute_not_exists, begins_with, size(), AND / OR). Anything else is refused loudly. What the
// account reports of them is the runbook's run-state table: its locks, known-good records, approvals.

import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { parseRunStateKey } from '../../tasks/run-state.ts';
import { awsError } from './errors.ts';
import type { SimulatedService } from './service.ts';

type Item = Record<string, AttributeValue>;
type Names = Record<string, string> | undefined;
type Values = Record<string, AttributeValue> | undefined;

/** Items a simulated Scan reads per page. */
const SCAN_PAGE = 10;

export class SimulatedDynamoDb implements SimulatedService {
  readonly name = 'dynamodb';
  readonly tables = new Map<string, Map<string, Item>>();

  readonly commands = {
    PutItem: this.putItem.bind(this),
    DeleteItem: this.deleteItem.bind(this),
    UpdateItem: this.updateItem.bind(this),
    GetItem: this.getItem.bind(this),
    Scan: this.scan.bind(this),
  };

  /** `runStateTable`: the runbook's own table, as the synthesized definitions name it. */
  constructor(private readonly runStateTable: string) {}

  private table(name: string | undefined): Map<string, Item> {
    let table = this.tables.get(name ?? '');
    if (!table) {
      if (!name) throw awsError('ResourceNotFoundException', 'Requested resource not found');
      table = new Map();
      this.tables.set(name, table);
    }
    return table;
  }

  putItem(input: {
    TableName?: string;
    Item?: Item;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Names;
    ExpressionAttributeValues?: Values;
    ReturnValuesOnConditionCheckFailure?: string;
  }) {
    const table = this.table(input.TableName);
    const key = input.Item?.pk?.S;
    if (!key)
      throw awsError(
        'ValidationException',
        'One or more parameter values were invalid: Missing the key pk in the item',
      );
    this.check(table.get(key), input);
    table.set(key, structuredClone(input.Item as Item));
    return {};
  }

  deleteItem(input: {
    TableName?: string;
    Key?: Item;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Names;
    ExpressionAttributeValues?: Values;
    ReturnValuesOnConditionCheckFailure?: string;
  }) {
    const table = this.table(input.TableName);
    const key = input.Key?.pk?.S ?? '';
    this.check(table.get(key), input);
    table.delete(key);
    return {};
  }

  /** UpdateItem with `SET a = :v, b = list_append(b, :w), c = if_not_exists(c, :x)` and/or `REMOVE d, e`. */
  updateItem(input: {
    TableName?: string;
    Key?: Item;
    UpdateExpression?: string;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Names;
    ExpressionAttributeValues?: Values;
  }) {
    const table = this.table(input.TableName);
    const key = input.Key?.pk?.S ?? '';
    const existing = table.get(key);
    this.check(existing, input);
    const item: Item = structuredClone(existing ?? { pk: { S: key } });
    const name = (token: string) =>
      token.startsWith('#') ? (input.ExpressionAttributeNames?.[token] ?? token) : token;
    const clauses = (input.UpdateExpression ?? '').matchAll(
      /\b(SET|REMOVE)\s+(.+?)(?=\s+\b(?:SET|REMOVE)\b|$)/gi,
    );
    for (const [, verb, body] of clauses) {
      // Commas between the clause's parts, not those inside list_append( , ) or if_not_exists( , ).
      for (const part of (body ?? '').split(/,(?![^(]*\))/).map((p) => p.trim())) {
        if (verb?.toUpperCase() === 'REMOVE') {
          delete item[name(part)];
          continue;
        }
        const append = /^(\S+)\s*=\s*list_append\((\S+),\s*(:\S+)\)$/.exec(part);
        if (append) {
          const list = item[name(append[2] as string)]?.L;
          const added = input.ExpressionAttributeValues?.[append[3] as string]?.L;
          // As on AWS: list_append of an attribute the item does not have is an error, not an empty list.
          if (!list || !added)
            throw awsError(
              'ValidationException',
              'The provided expression refers to an attribute that does not exist in the item',
            );
          item[name(append[1] as string)] = { L: [...list, ...added] };
          continue;
        }
        const ifNotExists = /^(\S+)\s*=\s*if_not_exists\((\S+),\s*(:\S+)\)$/.exec(part);
        if (ifNotExists) {
          const current = item[name(ifNotExists[2] as string)];
          const value = input.ExpressionAttributeValues?.[ifNotExists[3] as string];
          if (!value) throw awsError('ValidationException', `no value for ${ifNotExists[3]}`);
          item[name(ifNotExists[1] as string)] = current ?? value;
          continue;
        }
        const assignment = /^(\S+)\s*=\s*(:\S+)$/.exec(part);
        const value = assignment ? input.ExpressionAttributeValues?.[assignment[2] as string] : undefined;
        if (!assignment || !value)
          throw awsError(
            'ValidationException',
            `the simulated account does not support the update '${part}'`,
          );
        item[name(assignment[1] as string)] = value;
      }
    }
    table.set(key, item);
    return {};
  }

  /**
   * Scan in key order, SCAN_PAGE items read per page (AWS reads up to 1 MB: smaller pages here, so
   * every caller's paging is exercised), the filter applied after the read as on AWS: a page can
   * come back with fewer items than it read, or none, and still a LastEvaluatedKey.
   */
  scan(input: {
    TableName?: string;
    FilterExpression?: string;
    ExpressionAttributeNames?: Names;
    ExpressionAttributeValues?: Values;
    ExclusiveStartKey?: Item;
  }) {
    const keys = [...this.table(input.TableName).keys()].sort();
    const after = input.ExclusiveStartKey?.pk?.S;
    const start = after === undefined ? 0 : keys.findIndex((k) => k > after);
    const read = start < 0 ? [] : keys.slice(start, start + SCAN_PAGE);
    const items = read
      .map((k) => this.table(input.TableName).get(k) as Item)
      .filter(
        (item) =>
          !input.FilterExpression ||
          evaluate(
            input.FilterExpression,
            item,
            input.ExpressionAttributeNames,
            input.ExpressionAttributeValues,
          ),
      )
      .map((item) => structuredClone(item));
    const last = read.length === SCAN_PAGE && start + SCAN_PAGE < keys.length ? read.at(-1) : undefined;
    return {
      Items: items,
      Count: items.length,
      ScannedCount: read.length,
      ...(last && { LastEvaluatedKey: { pk: { S: last } } }),
    };
  }

  getItem(input: { TableName?: string; Key?: Item }) {
    const item = this.table(input.TableName).get(input.Key?.pk?.S ?? '');
    return item ? { Item: structuredClone(item) } : {};
  }

  report() {
    const items = [...(this.tables.get(this.runStateTable)?.values() ?? [])].map((item) => ({
      item,
      ...parseRunStateKey(item.pk?.S ?? ''),
    }));
    return {
      locks: items
        .filter((e) => e.kind === 'lock')
        .map(({ id, item }) => ({ key: id, owner: item.owner?.S, procedure: item.procedure?.S })),
      knownGood: items
        .filter((e) => e.kind === 'known-good')
        .map(({ id, item }) => ({
          key: id,
          taskDefinition: item.taskDefinition?.S,
          previous: item.previous?.S ?? null,
        })),
      approvals: items
        .filter((e) => e.kind === 'approval')
        .map(({ id, item }) => ({
          id,
          target: item.target?.S,
          status: item.status?.S,
          expiresAt: item.expiresAt?.S,
          decisions: jsonList(item.decisions).map((d) => `${d.decision} by ${d.person}`),
          refusals: jsonList(item.refusals).map((r) => `${r.code}: ${r.arn}`),
        })),
    };
  }

  private check(
    existing: Item | undefined,
    input: {
      ConditionExpression?: string;
      ExpressionAttributeNames?: Names;
      ExpressionAttributeValues?: Values;
      ReturnValuesOnConditionCheckFailure?: string;
    },
  ): void {
    if (!input.ConditionExpression) return;
    if (
      evaluate(
        input.ConditionExpression,
        existing,
        input.ExpressionAttributeNames,
        input.ExpressionAttributeValues,
      )
    )
      return;
    throw new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: { httpStatusCode: 400 },
      ...(input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' &&
        existing && { Item: structuredClone(existing) }),
    });
  }
}

/** A list kept as JSON text in an attribute (an approval's decisions), or as a list of JSON texts (its refusals). */
const jsonList = (value: AttributeValue | undefined): Record<string, string>[] =>
  value?.L !== undefined
    ? value.L.map((x) => JSON.parse(x.S ?? 'null') as Record<string, string>)
    : value?.S === undefined
      ? []
      : (JSON.parse(value.S) as Record<string, string>[]);

function evaluate(expression: string, item: Item | undefined, names: Names, values: Values): boolean {
  return expression
    .split(/\s+OR\s+/i)
    .some((clause) =>
      clause.split(/\s+AND\s+/i).every((atom) => atomHolds(atom.trim(), item, names, values)),
    );
}

function atomHolds(atom: string, item: Item | undefined, names: Names, values: Values): boolean {
  // Grouping with parentheses is not modelled: refused, never evaluated some other way.
  if ((atom.startsWith('(') || atom.endsWith(')')) && !/^(begins_with|attribute_(not_)?exists)\(/.test(atom))
    throw awsError('ValidationException', `the simulated account does not support parentheses in '${atom}'`);
  const name = (token: string) => (token.startsWith('#') ? (names?.[token] ?? token) : token);
  const prefix = /^begins_with\((\S+),\s*(:\S+)\)$/.exec(atom);
  if (prefix) {
    const value = item?.[name(prefix[1] as string)]?.S;
    const wanted = values?.[prefix[2] as string]?.S;
    return value !== undefined && wanted !== undefined && value.startsWith(wanted);
  }
  const fn = /^attribute_(not_)?exists\((.+)\)$/.exec(atom);
  if (fn) {
    const exists = item?.[name(fn[2] as string)] !== undefined;
    return fn[1] ? !exists : exists;
  }
  const cmp = /^(\S+)\s*(=|<>|<=|>=|<|>)\s*(\S+)$/.exec(atom);
  if (!cmp)
    throw awsError('ValidationException', `the simulated account does not support the condition '${atom}'`);
  const operand = (token: string): string | number | undefined => {
    const size = /^size\((\S+)\)$/.exec(token);
    if (size) {
      const of = item?.[name(size[1] as string)];
      return of === undefined ? undefined : (of.L ?? of.S ?? of.SS ?? []).length;
    }
    const value = token.startsWith(':') ? values?.[token] : item?.[name(token)];
    if (value === undefined) return undefined;
    if (value.N !== undefined) return Number(value.N);
    return value.S;
  };
  const left = operand(cmp[1] as string);
  const right = operand(cmp[3] as string);
  if (left === undefined || right === undefined) return false;
  switch (cmp[2]) {
    case '=':
      return left === right;
    case '<>':
      return left !== right;
    case '<':
      return left < right;
    case '>':
      return left > right;
    case '<=':
      return left <= right;
    default:
      return left >= right;
  }
}
