// Simulated EC2: each environment's VPC, tagged as its health check looks for it, with a NAT gateway
// in each of two availability zones. Both are described a page at a time, with the filters EC2
// takes (DescribeVpcs `Filters`, DescribeNatGateways `Filter`), and MaxResults held to EC2's 5-1000.

import { createHash } from 'node:crypto';
import type { Config } from '../../infra/config.ts';
import { awsError } from './errors.ts';
import type { SimulatedService } from './service.ts';

/** How a scenario breaks the network. */
export interface Ec2Faults {
  /** The first VPC's state. @default available */
  readonly vpcState?: 'pending';
  /** The first NAT gateway's state, with the failure EC2 gives for `failed`. @default available */
  readonly natGateway?: {
    readonly state: 'pending' | 'failed' | 'deleting' | 'deleted';
    readonly failureCode?: string;
    readonly failureMessage?: string;
  };
}

/** Items of one page here: fewer than any MaxResults, so every caller's paging is exercised. */
const EC2_PAGE = 1;

interface SimVpc {
  readonly id: string;
  readonly cidr: string;
  readonly tags: readonly { Key: string; Value: string }[];
  state: 'available' | 'pending';
}

interface SimNatGateway {
  readonly id: string;
  readonly vpcId: string;
  readonly subnetId: string;
  state: 'available' | 'pending' | 'failed' | 'deleting' | 'deleted';
  failureCode?: string;
  failureMessage?: string;
}

interface Filter {
  Name?: string;
  Values?: string[];
}

const hex = (text: string, length: number) =>
  createHash('sha256').update(text).digest('hex').slice(0, length);

export class SimulatedEc2 implements SimulatedService {
  readonly name = 'ec2';
  readonly vpcs = new Map<string, SimVpc>();
  readonly natGateways = new Map<string, SimNatGateway>();

  readonly commands = {
    DescribeVpcs: (input: { Filters?: Filter[]; MaxResults?: number; NextToken?: string }) => {
      const { page, next } = pageOf([...this.vpcs.values()], input.Filters, input, (vpc, name) =>
        name === 'vpc-id' ? [vpc.id] : name === 'state' ? [vpc.state] : tagValues(vpc.tags, name),
      );
      return {
        Vpcs: page.map((vpc) => ({
          VpcId: vpc.id,
          CidrBlock: vpc.cidr,
          State: vpc.state,
          Tags: [...vpc.tags],
        })),
        ...next,
      };
    },
    DescribeNatGateways: (input: { Filter?: Filter[]; MaxResults?: number; NextToken?: string }) => {
      const { page, next } = pageOf([...this.natGateways.values()], input.Filter, input, (nat, name) =>
        name === 'vpc-id'
          ? [nat.vpcId]
          : name === 'state'
            ? [nat.state]
            : name === 'nat-gateway-id'
              ? [nat.id]
              : [],
      );
      return {
        NatGateways: page.map((nat) => ({
          NatGatewayId: nat.id,
          VpcId: nat.vpcId,
          SubnetId: nat.subnetId,
          State: nat.state,
          ...(nat.failureCode && { FailureCode: nat.failureCode }),
          ...(nat.failureMessage && { FailureMessage: nat.failureMessage }),
        })),
        ...next,
      };
    },
  };

  constructor(config: Config, faults: Ec2Faults | undefined) {
    Object.entries(config.environments).forEach(([environment, env], i) => {
      const tag = env.healthCheck.vpcTag ?? { key: 'Environment', value: environment };
      const vpc: SimVpc = {
        id: `vpc-${hex(environment, 17)}`,
        cidr: `10.${i}.0.0/16`,
        tags: [
          { Key: tag.key, Value: tag.value },
          { Key: 'Name', Value: `${environment}-vpc` },
        ],
        state: i === 0 ? (faults?.vpcState ?? 'available') : 'available',
      };
      this.vpcs.set(vpc.id, vpc);
      for (const zone of ['a', 'b']) {
        const id = `nat-${hex(`${environment}${zone}`, 17)}`;
        const broken = i === 0 && zone === 'a' ? faults?.natGateway : undefined;
        this.natGateways.set(id, {
          id,
          vpcId: vpc.id,
          subnetId: `subnet-${hex(`${environment}${zone}public`, 17)}`,
          state: broken?.state ?? 'available',
          ...(broken?.failureCode && { failureCode: broken.failureCode }),
          ...(broken?.failureMessage && { failureMessage: broken.failureMessage }),
        });
      }
    });
  }

  report() {
    return {
      vpcs: [...this.vpcs.values()].map((v) => ({ id: v.id, state: v.state })),
      natGateways: [...this.natGateways.values()].map((n) => ({ id: n.id, state: n.state })),
    };
  }
}

/** The values of tag `tag:<key>` filters match. */
const tagValues = (tags: readonly { Key: string; Value: string }[], filter: string) =>
  filter.startsWith('tag:') ? tags.filter((t) => t.Key === filter.slice(4)).map((t) => t.Value) : [];

/**
 * One page of a Describe call as EC2 answers it: each filter narrows (its values are alternatives),
 * MaxResults is 5 to 1000 if given, and a page holds EC2_PAGE items with the rest behind NextToken.
 */
function pageOf<T>(
  items: readonly T[],
  filters: readonly Filter[] | undefined,
  input: { MaxResults?: number; NextToken?: string },
  valuesOf: (item: T, filter: string) => readonly string[],
) {
  if (input.MaxResults !== undefined && (input.MaxResults < 5 || input.MaxResults > 1000))
    throw awsError(
      'InvalidParameterValue',
      `Value ( ${input.MaxResults} ) for parameter maxResults is invalid.`,
    );
  const matching = items.filter((item) =>
    (filters ?? []).every((f) => valuesOf(item, f.Name ?? '').some((v) => (f.Values ?? []).includes(v))),
  );
  const start = Number(input.NextToken ?? 0);
  const end = start + EC2_PAGE;
  return {
    page: matching.slice(start, end),
    next: end < matching.length ? { NextToken: String(end) } : {},
  };
}
