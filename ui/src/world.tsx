/**
 * The simulated world behind `gpo up`: hub participants with positions and limits, the treasury, payee ledgers,
 * and every simulator's fault rules, listed and switched on and off. Read through the orchestrator's narrow
 * pass-through (/ui/api/world/{name}/...).
 */
import { useState } from 'preact/hooks';
import { api, type ConsoleConfig } from './api';
import { Card, ErrorNote, Updated, usePoll } from './components';
import { amount, count } from './format';

type Server = ConsoleConfig['world'][number];
const at = (name: string, path: string) => `/ui/api/world/${encodeURIComponent(name)}${path}`;

/** Signed decimal strings without floats: headroom = cap - position - reserved. */
function units(v: string): bigint {
  const neg = v.startsWith('-');
  const [w, f = ''] = (neg ? v.slice(1) : v).split('.');
  const u = BigInt(w) * 10000n + BigInt((f + '0000').slice(0, 4));
  return neg ? -u : u;
}
function decimal(u: bigint): string {
  const neg = u < 0n;
  const a = neg ? -u : u;
  const frac = (a % 10000n).toString().padStart(4, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${a / 10000n}${frac ? `.${frac}` : ''}`;
}

interface Position { value: string; reservedValue: string; netDebitCap: string | null }

function Participants({ hub }: { hub: Server }) {
  const p = usePoll(() => api<{ positions: Record<string, Record<string, Position>> }>(at(hub.name, '/admin/positions')), 3000, hub.name);
  const rows = Object.entries(p.data?.positions ?? {}).flatMap(([name, byCur]) =>
    Object.entries(byCur).map(([cur, pos]) => ({ name, cur, pos })));
  return (
    <Card title={`Hub participants: positions and limits (${hub.name})`} actions={<Updated at={p.updatedAt} error={p.error} />}
      testid="participants">
      <ErrorNote error={p.error} />
      <table class="grid compact">
        <thead><tr><th>Participant</th><th>Currency</th><th class="r">Position</th><th class="r">Reserved</th><th
          class="r">Net debit cap</th><th class="r">Headroom</th><th class="w-progress">Cap used</th></tr></thead>
        <tbody>
          {rows.map(({ name, cur, pos }) => {
            const cap = pos.netDebitCap === null ? undefined : units(pos.netDebitCap);
            const used = units(pos.value) + units(pos.reservedValue);
            const head = cap === undefined ? undefined : cap - used;
            const share = cap && cap > 0n ? Number((used > 0n ? used : 0n) * 10000n / cap) / 100 : 0;
            return (
              <tr key={`${name}:${cur}`} data-testid="participant-row">
                <td class="strong">{name}</td><td>{cur}</td>
                <td class="r">{amount(pos.value, cur)}</td><td class="r">{amount(pos.reservedValue, cur)}</td>
                <td class="r">{pos.netDebitCap === null ? '—' : amount(pos.netDebitCap, cur)}</td>
                <td class={`r ${head !== undefined && head < 0n ? 'bad-text' : ''}`}>{head === undefined ? '—'
                  : amount(decimal(head), cur)}</td>
                <td><div class="meter"><span style={{ width: `${Math.min(100, share)}%` }} class={share > 90 ? 'hot' : ''} /></div><span
                  class="muted small">{share.toFixed(2)} %</span></td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Card>
  );
}

interface Treasury { fspId: string; totals: Record<string, { balance: string; debited: string; reserved: string; available: string;
  completedCount: number }> }
interface PayeeLedger { fspId: string; answeringMode: string; transfers: number; accounts: number; totals: Record<string, Record<string,
  string | number>> }

function Ledgers({ payer, payees }: { payer?: Server; payees: Server[] }) {
  const t = usePoll(async () => (payer ? api<Treasury>(at(payer.name, '/admin/ledger')) : undefined), 3000, payer?.name ?? '');
  const l = usePoll(() => Promise.all(payees.map((p) => api<PayeeLedger>(at(p.name, '/admin/ledger')))), 3000,
    payees.map((p) => p.name).join(','));
  return (
    <div class="two-col">
      {payer && (
        <Card title={`Treasury at ${payer.name}`} actions={<Updated at={t.updatedAt} error={t.error} />} testid="treasury">
          <ErrorNote error={t.error} />
          <table class="kv">
            <tbody>
              {Object.entries(t.data?.totals ?? {}).flatMap(([cur, v]) => [
                <tr key={`${cur}b`}><th>Balance</th><td class="num">{amount(v.balance, cur)} {cur}</td></tr>,
                <tr key={`${cur}a`}><th>Available (balance − reserved)</th><td class="num">{amount(v.available, cur)} {cur}</td></tr>,
                <tr key={`${cur}d`}><th>Debited so far</th><td class="num">{amount(v.debited, cur)} {cur}</td></tr>,
                <tr key={`${cur}c`}><th>Transfers completed</th><td class="num">{count(v.completedCount)}</td></tr>,
              ])}
            </tbody>
          </table>
        </Card>
      )}
      <Card title="Payee ledgers" actions={<Updated at={l.updatedAt} error={l.error} />} testid="payee-ledgers">
        <ErrorNote error={l.error} />
        <table class="grid compact">
          <thead><tr><th>Payee DFSP</th><th>Currency</th><th class="r">Credited</th><th class="r">Fees</th><th class="r">Committed</th><th
            class="r">Aborted</th><th class="r">Rejected</th></tr></thead>
          <tbody>
            {(l.data ?? []).flatMap((led) => Object.entries(led.totals).map(([cur, v]) => (
              <tr key={`${led.fspId}:${cur}`} data-testid="payee-ledger-row" data-fsp={led.fspId}>
                <td class="strong">{led.fspId}</td><td>{cur}</td><td class="r">{amount(String(v.credited), cur)}</td><td
                  class="r">{amount(String(v.fees), cur)}</td>
                <td class="r num">{count(Number(v.committedCount))}</td><td class="r num">{count(Number(v.abortedCount))}</td><td
                  class="r num">{count(Number(v.rejectedCount))}</td>
              </tr>
            )))}
            {l.data && l.data.every((led) => Object.keys(led.totals).length === 0) && <tr><td colSpan={7}
              class="empty">No transfer has reached a payee yet.</td></tr>}
          </tbody>
        </table>
      </Card>
    </div>
  );
}

interface Rule {
  id?: string;
  description?: string;
  enabled?: boolean;
  match?: Record<string, string>;
  action: { type: string; errorCode?: string; ms?: number; fraction?: number; status?: number };
  probability?: number;
  times?: number;
  fired: number;
}

/** Rules an operator adds in two clicks; every one arrives switched off. */
const PRESETS: Array<{ key: string; label: string; roles: string[]; rule: (code: string) => Omit<Rule, 'fired'> }> = [
  { key: 'fail-bulk', label: 'Refuse every bulk transfer item (error code)', roles: ['payee'], rule: (code) =>
    ({ match: { resource: 'bulkTransfers' }, action: { type: 'failBulkItems', fraction: 1, errorCode: code || '5104' } }) },
  { key: 'fail-half', label: 'Refuse half of each bulk transfer (error code)', roles: ['payee'], rule: (code) =>
    ({ match: { resource: 'bulkTransfers' }, action: { type: 'failBulkItems', fraction: 0.5, errorCode: code || '5104' } }) },
  { key: 'reject-transfer', label: 'Reject single transfers (error code)', roles: ['payee', 'switch'], rule: (code) =>
    ({ match: { resource: 'transfers', method: 'POST' }, action: { type: 'error', errorCode: code || '5104' } }) },
  { key: 'no-callback', label: 'Never answer transfers (timeouts)', roles: ['payee', 'switch'], rule: () =>
    ({ match: { resource: 'transfers' }, action: { type: 'noCallback' } }) },
  { key: 'slow', label: 'Answer quotes 2 s late', roles: ['payee', 'switch'], rule: () =>
    ({ match: { resource: 'quotes' }, action: { type: 'delay', ms: 2000 } }) },
  { key: 'unavailable', label: 'Answer HTTP 503 to a third of requests', roles: ['switch', 'als', 'payee', 'payer', 'pil'], rule: () =>
    ({ action: { type: 'httpStatus', status: 503 }, probability: 0.33 }) },
  { key: 'party-unknown', label: 'Party not found for ids ending in 9 (3204)', roles: ['payee', 'als'], rule: () =>
    ({ match: { resource: 'parties', partyId: '9$' }, action: { type: 'error', errorCode: '3204' } }) },
];

function describe(r: Rule): string {
  const m = r.match ?? {};
  const when = [m.method, m.resource, m.partyId ? `party ~ /${m.partyId}/` : '', m.fsp ? `from ${m.fsp}` : '', m.minAmount
    ? `≥ ${m.minAmount}` : '', m.maxAmount ? `≤ ${m.maxAmount}` : ''].filter(Boolean).join(' ') || 'every message';
  const a = r.action;
  const what = a.type === 'error' ? `error ${a.errorCode}` : a.type === 'failBulkItems' ? `fail ${Math.round((a.fraction
    ?? 0) * 100)} % of items with ${a.errorCode ?? 'an error'}`
    : a.type === 'delay' ? `delay ${a.ms} ms` : a.type === 'httpStatus' ? `HTTP ${a.status}` : a.type;
  return `${when} → ${what}${r.probability !== undefined ? ` (${Math.round(r.probability * 100)} % of the time)`
    : ''}${r.times !== undefined ? `, at most ${r.times} times` : ''}`;
}

const strip = ({ fired: _f, ...rule }: Rule): Omit<Rule, 'fired'> => rule;

function RulesOf({ server, version, onChanged }: { server: Server; version: number; onChanged: () => void }) {
  const r = usePoll(() => api<{ rules: Rule[] }>(at(server.name, '/admin/rules')), 3000, `${server.name}:${version}`);
  const [error, setError] = useState<string>();
  const change = async (run: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await run();
      r.reload();
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const rules = r.data?.rules ?? [];
  const toggle = (rule: Rule, i: number, enabled: boolean) => change(() => (rule.id
    ? api(at(server.name, `/admin/rules/${encodeURIComponent(rule.id)}`), { method: 'PATCH', body: { enabled } })
    : api(at(server.name, '/admin/rules'), { method: 'PUT', body: { rules:
      rules.map((x, j) => (j === i ? { ...strip(x), enabled } : strip(x))) } })));
  const remove = (i: number) => change(() => api(at(server.name, '/admin/rules'),
    { method: 'PUT', body: { rules: rules.filter((_, j) => j !== i).map(strip) } }));
  return (
    <div class="rules" data-testid="rules" data-server={server.name}>
      <h3>{server.name} {server.role !== server.name && <span class="muted small">{server.role}</span>}</h3>
      <ErrorNote error={error ?? r.error} />
      {rules.length === 0 && <p class="muted small">No fault rules: every message is answered as the specification says.</p>}
      {rules.map((rule, i) => {
        const on = rule.enabled !== false;
        return (
          <div key={rule.id ?? i} class={`rule ${on ? 'on' : 'off'}`} data-testid="rule" data-rule-id={rule.id ?? ''}
            data-enabled={String(on)}>
            <label class="switch" title={on ? 'Switch off' : 'Switch on'}>
              <input type="checkbox" checked={on} data-testid="rule-switch"
                onChange={(e) => toggle(rule, i, (e.target as HTMLInputElement).checked)} />
              <span class="slider" />
            </label>
            <div class="rule-text">
              <div class="strong">{rule.description ?? rule.id ?? `rule ${i + 1}`}</div>
              <div class="muted small mono">{describe(rule)}</div>
            </div>
            <div class="rule-fired"><span class="num">{count(rule.fired)}</span><span class="muted small"> fired</span></div>
            <button class="btn small ghost" title="Remove this rule" onClick={() => remove(i)}>Remove</button>
          </div>
        );
      })}
    </div>
  );
}

function AddRule({ servers, onAdded }: { servers: Server[]; onAdded: () => void }) {
  const [target, setTarget] = useState(servers.find((s) => s.role === 'payee')?.name ?? servers[0]?.name ?? '');
  const role = servers.find((s) => s.name === target)?.role ?? '';
  const presets = PRESETS.filter((p) => p.roles.includes(role));
  const [preset, setPreset] = useState(presets[0]?.key ?? '');
  const [code, setCode] = useState('5104');
  const [error, setError] = useState<string>();
  const chosen = presets.find((p) => p.key === preset) ?? presets[0];
  const add = async () => {
    if (!chosen) return;
    setError(undefined);
    try {
      const current = (await api<{ rules: Rule[] }>(at(target, '/admin/rules'))).rules.map(strip);
      const rule = { ...chosen.rule(code), id: `console-${chosen.key}-${Date.now().toString(36)}`, description:
        chosen.label.replace('(error code)', `(${code || '5104'})`), enabled: false };
      await api(at(target, '/admin/rules'), { method: 'PUT', body: { rules: [...current, rule] } });
      onAdded();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <form class="filters add-rule" onSubmit={(e) => { e.preventDefault(); void add(); }} data-testid="add-rule">
      <label>Simulator
        <select value={target} data-testid="add-rule-target" onChange={(e) => setTarget((e.target as HTMLSelectElement).value)}>
          {servers.map((s) => <option key={s.name} value={s.name}>{s.name} ({s.role})</option>)}
        </select>
      </label>
      <label>Fault
        <select value={chosen?.key} data-testid="add-rule-preset" onChange={(e) => setPreset((e.target as HTMLSelectElement).value)}>
          {presets.map((p) => <option key={p.key} value={p.key}>{p.label}</option>)}
        </select>
      </label>
      {chosen?.label.includes('error code') && <label>Error code<input value={code} size={6} data-testid="add-rule-code"
        onInput={(e) => setCode((e.target as HTMLInputElement).value.trim())} /></label>}
      <button class="btn primary" type="submit" data-testid="add-rule-submit">Add (switched off)</button>
      <ErrorNote error={error} />
    </form>
  );
}

export function World({ config }: { config: ConsoleConfig }) {
  const [version, setVersion] = useState(0);
  const servers = config.world;
  const hub = servers.find((s) => s.role === 'switch');
  const payer = servers.find((s) => s.role === 'payer');
  const payees = servers.filter((s) => s.role === 'payee');
  if (servers.length === 0) {
    return <div class="page"><div
      class="note info">This orchestrator runs without a simulated world: start it with <code>gpo up</code> to see one here.</div></div>;
  }
  return (
    <div class="page">
      {hub && <Participants hub={hub} />}
      <Ledgers payer={payer} payees={payees} />
      <Card title="Fault rules" testid="fault-rules">
        <p class="muted small">Switch a rule on and the simulator misbehaves as it says, from the next message on; switch it off and it answers normally again. Counts show how often each fired.</p>
        <AddRule servers={servers} onAdded={() => setVersion((v) => v + 1)} />
        <div class="rules-grid">
          {servers.map((s) => <RulesOf key={s.name} server={s} version={version} onChanged={() => undefined} />)}
        </div>
      </Card>
    </div>
  );
}
