// @ts-check
/**
 * The backpack web app: sign in once, browse, upload, download, delete, share a folder
 * read-only, revoke, open a folder shared with you, sign out. Everything it signs goes through
 * the library in `/lib/`; it keeps nothing in `localStorage`, cookies or URLs.
 * @module
 */
import { BackpackClient, Session, SessionSigError, Wallet, backpackResource, discoverWallets, handshakeNonce, parseSiwe } from '/lib/index.js';

/** @param {string} id @returns {any} */
const $ = (id) => /** @type {any} */ (document.getElementById(id));

/**
 * @typedef {object} Place where the file view is
 * @property {string} owner
 * @property {string} root the folder the access covers (`/` for your own backpack)
 * @property {string} folder the folder shown
 * @property {import('/lib/backpack.js').Access} access
 * @property {boolean} shared
 */

/** @type {{wallet: Wallet | null, session: Session | null, account: string | null, place: Place | null, cursor: string | null}} */
const state = { wallet: null, session: null, account: null, place: null, cursor: null };

/** @param {unknown} e */
function showError(e) {
  const el = $('error');
  document.body.dataset.error = e instanceof SessionSigError ? e.code : 'unexpected';
  if (e instanceof SessionSigError) el.textContent = `${e.message} (${e.code})`;
  else el.textContent = `${String(/** @type {any} */ (e)?.message ?? e)} (unexpected)`;
  el.hidden = false;
}

function clearError() {
  $('error').hidden = true;
}

/** @param {string} account */
function ownGrants(account) {
  return [{ resource: backpackResource(account, '/'), ability: 'backpack/*' }];
}

/** @param {number} n bytes, shown in decimal units as the share form asks them */
function size(n) {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(1)} GB`;
}

/** @param {string} p */
function lastSegment(p) {
  const parts = p.split('/').filter(Boolean);
  return parts[parts.length - 1] ?? p;
}

/** @param {string} reason */
function reasonText(reason) {
  /** @type {Record<string, string>} */
  const words = {
    missing: '',
    expired: 'Your session has expired: sign in again.',
    expiring_soon: 'Your session is about to expire: sign in again.',
    other_wallet: 'Your wallet switched to another account: sign in with it.',
    other_session_key: 'The stored session belongs to another key: sign in again.',
    invalid: 'The stored session is not valid: sign in again.',
    not_covered: 'Sign in to grant this session your backpack.',
  };
  return words[reason] ?? `Sign in again (${reason}).`;
}

/** @param {string} reason */
function showSignIn(reason) {
  $('files').hidden = true;
  $('signout').hidden = true;
  $('signin').hidden = false;
  const r = $('signin-reason');
  r.textContent = reasonText(reason);
  r.hidden = !r.textContent;
  document.body.dataset.view = 'signin';
}

async function showFiles() {
  const session = /** @type {Session} */ (state.session);
  const info = session.authSigInfo();
  $('signin').hidden = true;
  $('files').hidden = false;
  $('signout').hidden = false;
  $('who').textContent = state.account ?? '';
  const g = $('grants');
  g.textContent = '';
  const p = state.place;
  const lines = [
    `This session may: ${info?.statement ?? ''}`,
    `Session key: ${session.sessionKeyHex} (${session.stored && (await isTabOnly()) ? 'this tab only' : 'kept in this browser, not exportable'})`,
    `Expires: ${info?.expiration ? new Date(info.expiration).toLocaleString() : 'never'}`,
  ];
  if (p?.shared) {
    const d = p.access.delegations?.[0];
    const cav = d ? Object.values(Object.values(parseSiwe(d.signedMessage).capability?.att ?? {})[0] ?? {})[0]?.[0] : null;
    const cap = cav && typeof cav.max_bytes === 'string' ? `${size(Number(cav.max_bytes))} of traffic in total` : 'no traffic cap';
    lines.push(`Shared with you by ${p.owner}: read-only, ${cap}.`);
  } else {
    lines.push('Traffic: no cap on your own backpack.');
  }
  for (const l of lines) {
    const div = document.createElement('div');
    div.textContent = l;
    g.append(div);
  }
  document.body.dataset.view = 'files';
  $('share-box').hidden = !!p?.shared;
  renderShares();
  renderReceived();
  await listFolder(true);
}

async function isTabOnly() {
  return state.session?.persistence === 'tab';
}

function renderCrumbs() {
  const p = /** @type {Place} */ (state.place);
  const nav = $('crumbs');
  nav.textContent = '';
  const parts = p.folder.slice(p.root.length).split('/').filter(Boolean);
  /** @param {string} label @param {string} folder */
  const link = (label, folder) => {
    const a = document.createElement('a');
    a.textContent = label;
    a.addEventListener('click', () => go({ ...p, folder }));
    nav.append(a, ' / ');
  };
  link(p.shared ? `${p.owner.slice(0, 8)}…${p.root}` : 'My backpack', p.root);
  let acc = p.root;
  for (const part of parts) {
    acc += part + '/';
    link(part, acc);
  }
  if (p.shared) {
    const back = document.createElement('a');
    back.textContent = '← my backpack';
    back.addEventListener('click', () => goHome());
    nav.append(' ', back);
  }
}

/** @param {Place} place */
async function go(place) {
  state.place = place;
  state.cursor = null;
  await showFiles();
}

async function goHome() {
  const account = /** @type {string} */ (state.account);
  await go({ owner: account, root: '/', folder: '/', access: { requests: ownGrants(account) }, shared: false });
}

function client() {
  return new BackpackClient(/** @type {Session} */ (state.session), location.origin);
}

/** @param {boolean} fresh */
async function listFolder(fresh) {
  const p = /** @type {Place} */ (state.place);
  renderCrumbs();
  const body = $('entries');
  if (fresh) body.textContent = '';
  try {
    const l = await client().list(p.owner, p.folder, p.access, { cursor: fresh ? undefined : state.cursor ?? undefined });
    for (const f of l.folders) {
      const tr = document.createElement('tr');
      const a = document.createElement('a');
      a.textContent = lastSegment(f) + '/';
      const full = f.startsWith('/') ? (f.endsWith('/') ? f : f + '/') : p.folder + lastSegment(f) + '/';
      a.addEventListener('click', () => go({ ...p, folder: full }));
      const td = document.createElement('td');
      td.append(a);
      tr.append(td, cell(''), cell(''), cell(''));
      tr.dataset.folder = lastSegment(f);
      body.append(tr);
    }
    for (const e of l.entries) body.append(entryRow(e));
    state.cursor = l.next;
    $('more').hidden = !l.next;
    $('empty').hidden = body.children.length > 0;
    document.body.dataset.listed = String(Date.now());
  } catch (e) {
    showError(e);
  }
}

/** @param {string} text */
function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

/** @param {import('/lib/backpack.js').ObjectMeta} e */
function entryRow(e) {
  const p = /** @type {Place} */ (state.place);
  const name = lastSegment(e.path);
  const path = e.path.startsWith('/') ? e.path : p.folder + name;
  const tr = document.createElement('tr');
  tr.dataset.name = name;
  const a = document.createElement('a');
  a.textContent = name;
  a.className = 'download';
  a.addEventListener('click', () => download(path, name));
  const nameCell = document.createElement('td');
  nameCell.append(a);
  const actions = document.createElement('td');
  if (!p.shared) {
    const del = document.createElement('button');
    del.textContent = 'Delete';
    del.className = 'delete';
    del.addEventListener('click', async () => {
      if (del.dataset.armed !== '1') {
        del.dataset.armed = '1';
        del.textContent = 'Really delete?';
        return;
      }
      clearError();
      try {
        await client().delete(p.owner, path, p.access);
        tr.remove();
      } catch (err) {
        showError(err);
      }
    });
    actions.append(del);
  }
  tr.append(nameCell, cell(size(e.size)), cell(new Date(e.modified).toLocaleString()), actions);
  return tr;
}

/** @param {string} path @param {string} name */
async function download(path, name) {
  const p = /** @type {Place} */ (state.place);
  clearError();
  try {
    const blob = await client().get(p.owner, path, p.access);
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (e) {
    showError(e);
  }
}

/** @param {FileList | File[]} files */
async function upload(files) {
  const p = /** @type {Place} */ (state.place);
  clearError();
  const list = $('progress');
  for (const file of Array.from(files)) {
    const li = document.createElement('li');
    li.textContent = `${file.name}: 0%`;
    list.append(li);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      await client().put(p.owner, p.folder + file.name, bytes, p.access, {
        contentType: file.type || 'application/octet-stream',
        onProgress: (/** @type {number} */ sent, /** @type {number} */ total) => {
          li.textContent = `${file.name}: ${Math.round((100 * sent) / Math.max(total, 1))}%`;
        },
      });
      li.textContent = `${file.name}: uploaded`;
      li.dataset.done = '1';
    } catch (e) {
      li.textContent = `${file.name}: failed`;
      showError(e);
    }
  }
  await listFolder(true);
}

function renderShares() {
  const ul = $('shares');
  ul.textContent = '';
  for (const s of state.session?.shares() ?? []) {
    const li = document.createElement('li');
    li.dataset.target = s.target;
    const cap = s.maxBytes ? `, ${size(Number(s.maxBytes))} cap` : '';
    li.textContent = `${s.resource} → ${s.to} (read-only${cap}, until ${new Date(s.expiration).toLocaleString()}) `;
    if (s.revoked) {
      const b = document.createElement('strong');
      b.textContent = 'revoked';
      li.append(b);
    } else {
      const b = document.createElement('button');
      b.textContent = 'Revoke';
      b.className = 'revoke';
      b.addEventListener('click', async () => {
        clearError();
        try {
          await state.session?.revoke(s.target, location.origin);
          renderShares();
          document.body.dataset.revoked = s.target;
        } catch (e) {
          showError(e);
        }
      });
      li.append(b);
    }
    ul.append(li);
  }
}

function renderReceived() {
  const ul = $('received');
  ul.textContent = '';
  for (const d of state.session?.received() ?? []) {
    const s = parseSiwe(d.signedMessage);
    const resource = Object.keys(s.capability?.att ?? {})[0] ?? '';
    const li = document.createElement('li');
    li.textContent = `${resource} from ${s.address} `;
    const b = document.createElement('button');
    b.textContent = 'Open';
    b.addEventListener('click', () => openShare(d));
    li.append(b);
    ul.append(li);
  }
}

/** @param {import('/lib/session.js').AuthSig} d */
async function openShare(d) {
  clearError();
  const session = /** @type {Session} */ (state.session);
  try {
    await session.receive(d);
    const s = parseSiwe(d.signedMessage);
    const resource = Object.keys(s.capability?.att ?? {})[0];
    const grants = Object.keys(s.capability?.att[resource] ?? {}).map((ability) => ({ resource, ability }));
    // A wider request: the wallet is asked once to let this session use the share.
    await session.ensure([...ownGrants(/** @type {string} */ (state.account)), ...grants]);
    const m = /^backpack:\/\/(0x[0-9a-f]{40})(\/.*)$/.exec(resource);
    if (!m) throw new SessionSigError('not_a_backpack_share', 'the share is not a backpack folder');
    const root = decodeURIComponent(m[2]);
    await go({ owner: m[1], root, folder: root, access: { requests: grants, delegations: [d] }, shared: true });
  } catch (e) {
    showError(e);
  }
}

async function signIn() {
  clearError();
  const wallet = /** @type {Wallet} */ (state.wallet);
  const tabOnly = $('tabonly').checked;
  const ttl = Number($('ttl').value);
  try {
    if (tabOnly && state.session?.persistence !== 'tab') {
      await state.session?.signOut();
    }
    const session = await Session.open({ wallet, persistence: tabOnly ? 'tab' : 'persistent', authSigTtlMs: ttl, nonce: handshakeNonce(location.origin) });
    if (tabOnly && state.session?.persistence === 'tab') session.stored = state.session.stored;
    const account = await wallet.account();
    state.session = session;
    state.account = account;
    await session.ensure(ownGrants(account));
    await goHome();
  } catch (e) {
    showError(e);
  }
}

async function refreshState() {
  const wallet = /** @type {Wallet} */ (state.wallet);
  const session = /** @type {Session} */ (state.session);
  const account = await wallet.account();
  state.account = account;
  const reason = session.decide(account, ownGrants(account));
  if (reason) showSignIn(reason);
  else await goHome();
}

async function main() {
  const wallets = await discoverWallets();
  if (wallets.length === 0) {
    showSignIn('missing');
    showError(new SessionSigError('no_wallet', 'no Ethereum wallet found in this browser'));
    $('signin-button').disabled = true;
    return;
  }
  // Several wallets (EIP-6963): the user picks one; the choice lives in this page only.
  const choose = $('wallets');
  for (const [i, w] of wallets.entries()) {
    const o = document.createElement('option');
    o.value = String(i);
    o.textContent = w.info.name;
    choose.append(o);
  }
  $('wallet-choice').hidden = wallets.length < 2;
  /** @type {() => void} */
  let unsubscribe = () => {};
  const useWallet = async (/** @type {number} */ i) => {
    unsubscribe();
    state.wallet = new Wallet(wallets[i].provider);
    state.session = await Session.open({ wallet: state.wallet, nonce: handshakeNonce(location.origin) });
    unsubscribe = state.wallet.onAccountsChanged(() => {
      refreshState().catch(showError);
    });
  };
  await useWallet(0);
  choose.addEventListener('change', () => {
    clearError();
    useWallet(Number(choose.value))
      .then(refreshState)
      .catch((e) => {
        showSignIn('missing');
        showError(e);
      });
  });
  $('signin-button').addEventListener('click', signIn);
  $('signout').addEventListener('click', async () => {
    await state.session?.signOut();
    state.place = null;
    $('who').textContent = '';
    showSignIn('missing');
  });
  $('upload').addEventListener('change', () => upload($('upload').files));
  $('refresh').addEventListener('click', () => listFolder(true));
  $('more').addEventListener('click', () => listFolder(false));
  $('mkdir').addEventListener('click', () => {
    const name = String($('newfolder').value).trim();
    const p = state.place;
    if (!p || !name || name.includes('/')) return;
    $('newfolder').value = '';
    go({ ...p, folder: p.folder + name + '/' });
  });
  const drop = $('drop');
  drop.addEventListener('dragover', (/** @type {DragEvent} */ e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (/** @type {DragEvent} */ e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer?.files.length) upload(e.dataTransfer.files);
  });
  $('share-form').addEventListener('submit', async (/** @type {Event} */ e) => {
    e.preventDefault();
    clearError();
    const p = /** @type {Place} */ (state.place);
    try {
      const resource = backpackResource(p.owner, p.folder);
      const share = await /** @type {Session} */ (state.session).delegate({
        to: String($('share-to').value).trim(),
        grants: [{ resource, ability: 'backpack/list' }, { resource, ability: 'backpack/read' }],
        caveat: { max_bytes: String(Math.round(Number($('share-mb').value) * 1e6)) },
        expiration: new Date(Date.now() + Number($('share-days').value) * 86400e3),
      });
      const out = $('share-out');
      out.value = JSON.stringify(share.authSig);
      out.hidden = false;
      renderShares();
    } catch (err) {
      showError(err);
    }
  });
  $('open-button').addEventListener('click', async () => {
    let d;
    try {
      d = JSON.parse($('open-in').value);
    } catch {
      showError(new SessionSigError('not_a_delegation', 'the share text is not JSON'));
      return;
    }
    await openShare(d);
  });
  await refreshState().catch((e) => {
    showSignIn('missing');
    showError(e);
  });
}

main().catch(showError);
