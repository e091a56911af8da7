/**
 * The evaluator's answer types: which endpoints a connection runs between, and why each side
 * allows or refuses it. Plain data, so the bot, the CLI and the workers can render or serialise
 * a verdict without knowing how it was reached.
 */
import type { PodInfo } from '../state/cluster-state';

/** A pod of the index, or an address (outside the cluster, or a hostNetwork pod's node address). */
export type TrafficEndpoint = { kind: 'pod'; pod: PodInfo } | { kind: 'ip'; ip: string };

export type Direction = 'Ingress' | 'Egress';

export interface RuleRef {
  /** "ns/name" */
  policy: string;
  direction: Direction;
  /** 0-based position in spec.ingress or spec.egress. */
  ruleIndex: number;
}

export interface SideVerdict {
  direction: Direction;
  /** The endpoint whose policies decide this side: the source for Egress, the destination for Ingress. */
  endpoint: string;
  /** False when this side is outside the cluster or a hostNetwork pod: policies do not apply. */
  applies: boolean;
  /** Some policy selects the pod for this direction. */
  isolated: boolean;
  /** "ns/name" of every policy selecting the pod for this direction, sorted. */
  isolatingPolicies: string[];
  allowed: boolean;
  /** Every rule that allows this connection on this side (empty when not isolated). */
  allowedBy: RuleRef[];
  /** One readable sentence. */
  reason: string;
}

export interface ConnectionVerdict {
  allowed: boolean;
  /** A pod sending to itself: always allowed, whatever the policies say. */
  self: boolean;
  egress: SideVerdict;
  ingress: SideVerdict;
  summary: string;
}
