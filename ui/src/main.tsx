/** The operator console: batches, notifications and (with `gpo up`) the simulated world, on one page. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, getToken, setToken, type ConsoleConfig } from './api';
import { BatchDetail, BatchList } from './batches';
import { ErrorNote, usePoll } from './components';
import { Notifications } from './notifications';
import { World } from './world';

function useHash(): string {
  const [hash, setHash] = useState(location.hash || '#/batches');
  useEffect(() => {
    const on = () => setHash(location.hash || '#/batches');
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function Settings({ onClose }: { onClose: () => void }) {
  const [token, setValue] = useState(getToken());
  return (
    <div class="dialog-back" onClick={onClose}>
      <form class="dialog" onClick={(e) => e.stopPropagation()} onSubmit={(e) =>
        { e.preventDefault(); setToken(token.trim()); onClose(); location.reload(); }}>
        <h2>Settings</h2>
        <label class="block">API token
          <input type="password" value={token} autocomplete="off" placeholder="sent as Authorization: Bearer …"
            onInput={(e) => setValue((e.target as HTMLInputElement).value)} data-testid="token" />
        </label>
        <p class="muted small">Kept in this browser only. Sent with every request the console makes, when the orchestrator asks for one.</p>
        <div class="actions"><button type="button" class="btn" onClick={onClose}>Close</button><button type="submit"
          class="btn primary">Save</button></div>
      </form>
    </div>
  );
}

function App() {
  const hash = useHash();
  const config = usePoll(() => api<ConsoleConfig>('/ui/api/config'), 0, 'config');
  const [settings, setSettings] = useState(false);
  const hasWorld = (config.data?.world.length ?? 0) > 0;
  const batch = /^#\/batches\/(.+)$/.exec(hash);
  const section = batch ? 'batches' : hash.replace(/^#\//, '').split('/')[0] || 'batches';
  const o = config.data?.orchestrator;
  const tab = (id: string, label: string) => <a href={`#/${id}`} class={`nav-tab ${section === id ? 'on' : ''}`}
    data-testid={`nav-${id}`}>{label}</a>;
  return (
    <>
      <header class="top">
        <div class="brand"><span class="logo">GPO</span><span>Operator console</span></div>
        <nav>
          {tab('batches', 'Batches')}
          {tab('notifications', 'Notifications')}
          {hasWorld && tab('world', 'Simulated world')}
        </nav>
        <div class="top-right">
          {o && <span class="muted-light small">payer {o.payerFspId} · {o.currency} · {o.rail} ({o.railMode})</span>}
          <button class="btn small dark" onClick={() => setSettings(true)}>{getToken() ? 'Token set' : 'Settings'}</button>
        </div>
      </header>
      <main>
        <ErrorNote error={config.error} />
        {batch ? <BatchDetail id={decodeURIComponent(batch[1])} />
          : section === 'notifications' ? <Notifications />
            : section === 'world' && config.data ? <World config={config.data} />
              : <BatchList />}
      </main>
      {settings && <Settings onClose={() => setSettings(false)} />}
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
