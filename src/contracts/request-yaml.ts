/**
 * A request's YAML, rendered once: when its draft is made (the preview), then kept on the draft and
 * on the stored record (`RequestRecord.yaml`) and shown by every card after that (submit, the
 * approval thread, each card edit, the worker's outcome) without rendering the policies again.
 *
 * Why the stored text is checked before it is shown: approvals are bound to the policies' hash (the
 * trust model in the README), not to the YAML. A `yaml` field rewritten in Redis (on the draft or the
 * request) must never show an approver one thing while another is applied. Without a secret a
 * stored text cannot be proved to be the rendering of the stored policies except by rendering them
 * again, so each process remembers the digest of every rendering it made itself, keyed by the digest
 * of the exact policies (their JSON bytes, key order included, since the YAML follows key order).
 * A stored text is shown only when its digest is the one this process remembers for exactly these
 * policies; otherwise (another process rendered it, a restart, an old record without `yaml`, or a
 * text that was altered) the policies are rendered again and that rendering is shown. So the shown
 * YAML is always the rendering of the stored policies, and the steady state (one bot process) renders
 * each request once. Digests, not texts, are remembered: a few hundred bytes per request.
 *
 * One instance per process (`processRequestYaml`), shared by the bot's handlers and hooks so they
 * recognise each other's renderings; tests inject their own with a counting renderer.
 */
import { createHash } from 'node:crypto';
import type { NetworkPolicy } from '../core/k8s/types';
import { renderPolicies } from '../core/policy/render-policies';

export type RenderYaml = (policies: readonly NetworkPolicy[]) => string;

export interface RequestYamlOptions {
  /** Renders the policies (default: renderPolicies as YAML). */
  render?: RenderYaml;
  /** Renderings remembered, oldest forgotten first (default 10,000). */
  capacity?: number;
}

/** Whether a stored text was shown, or why the policies were rendered again instead. */
/** same: the stored text was right, but this process had not rendered it, so it rendered it again. */
export type StoredYaml = 'shown' | 'absent' | 'same' | 'altered';

export class RequestYaml {
  private readonly renderYaml: RenderYaml;
  private readonly capacity: number;
  /** sha256 of JSON.stringify(policies) -> sha256 of their YAML, as rendered by this process. */
  private readonly rendered = new Map<string, string>();

  constructor(options: RequestYamlOptions = {}) {
    this.renderYaml = options.render ?? ((policies) => renderPolicies(policies, 'yaml'));
    this.capacity = options.capacity ?? 10_000;
  }

  /** Renders `policies` (a request's one rendering) and remembers it. */
  render(policies: readonly NetworkPolicy[]): string {
    const yaml = this.renderYaml(policies);
    this.remember(digest(JSON.stringify(policies)), digest(yaml));
    return yaml;
  }

  /** The YAML to show for a stored draft or request: its `yaml` if verified, else a fresh rendering. */
  of(record: { policies: readonly NetworkPolicy[]; yaml?: string }): string {
    return this.resolve(record).yaml;
  }

  /** Like of(), saying also what happened to the stored text (for a log line when it was altered). */
  resolve(record: { policies: readonly NetworkPolicy[]; yaml?: string }): {
    yaml: string;
    stored: StoredYaml;
  } {
    const policiesDigest = digest(JSON.stringify(record.policies));
    const known = this.rendered.get(policiesDigest);
    if (record.yaml !== undefined && known !== undefined && digest(record.yaml) === known) {
      return { yaml: record.yaml, stored: 'shown' };
    }
    const yaml = this.renderYaml(record.policies);
    const yamlDigest = digest(yaml);
    this.remember(policiesDigest, yamlDigest);
    if (record.yaml === undefined) return { yaml, stored: 'absent' };
    return { yaml, stored: record.yaml === yaml ? 'same' : 'altered' };
  }

  private remember(policiesDigest: string, yamlDigest: string): void {
    this.rendered.delete(policiesDigest);
    this.rendered.set(policiesDigest, yamlDigest);
    if (this.rendered.size > this.capacity) {
      const oldest = this.rendered.keys().next().value;
      if (oldest !== undefined) this.rendered.delete(oldest);
    }
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** This process's renderings: what the bot and the workers use unless a test injects its own. */
export const processRequestYaml = new RequestYaml();
