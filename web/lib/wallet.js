// @ts-check
/**
 * The user's wallet through EIP-1193 (`request`, `accountsChanged`), found with EIP-6963
 * discovery when several wallets announce themselves, else `window.ethereum`. The wallet is
 * asked to sign with `personal_sign` (EIP-191) — the only prompt the session needs.
 * @module
 */
import { toHex, utf8 } from './bytes.js';
import { SessionSigError } from './errors.js';
import { toChecksumAddress } from './eth.js';

/**
 * @typedef {object} Eip1193Provider
 * @property {(args: {method: string, params?: unknown[]}) => Promise<unknown>} request
 * @property {(event: string, listener: (...args: any[]) => void) => void} [on]
 * @property {(event: string, listener: (...args: any[]) => void) => void} [removeListener]
 */

/**
 * @typedef {object} WalletInfo an EIP-6963 provider announcement
 * @property {{uuid: string, name: string, icon: string, rdns: string}} info
 * @property {Eip1193Provider} provider
 */

/**
 * The wallets installed in this browser: EIP-6963 announcements collected for `waitMs`, plus
 * `window.ethereum` when nothing announced itself.
 * @param {number} [waitMs]
 * @returns {Promise<WalletInfo[]>}
 */
export async function discoverWallets(waitMs = 200) {
  /** @type {WalletInfo[]} */
  const found = [];
  /** @param {Event} e */
  const onAnnounce = (e) => {
    const d = /** @type {CustomEvent<WalletInfo>} */ (e).detail;
    if (d && d.provider && d.info && !found.some((f) => f.info.uuid === d.info.uuid)) found.push(d);
  };
  window.addEventListener('eip6963:announceProvider', onAnnounce);
  window.dispatchEvent(new Event('eip6963:requestProvider'));
  await new Promise((r) => setTimeout(r, waitMs));
  window.removeEventListener('eip6963:announceProvider', onAnnounce);
  const legacy = /** @type {any} */ (window).ethereum;
  if (found.length === 0 && legacy) {
    found.push({ info: { uuid: 'window.ethereum', name: 'Browser wallet', icon: '', rdns: '' }, provider: legacy });
  }
  return found;
}

/** @param {unknown} e @returns {SessionSigError} */
function walletError(e) {
  const err = /** @type {{code?: number, message?: string}} */ (e ?? {});
  if (err.code === 4001) return new SessionSigError('wallet_rejected', 'the wallet request was rejected');
  return new SessionSigError('wallet_error', `the wallet failed: ${err.message ?? String(e)}`);
}

/** One EIP-1193 wallet. */
export class Wallet {
  /** @param {Eip1193Provider} provider */
  constructor(provider) {
    /** @readonly */
    this.provider = provider;
  }

  /** @returns {Promise<string>} the current account (EIP-55), asking to connect if needed */
  async account() {
    let accounts;
    try {
      accounts = /** @type {string[]} */ (await this.provider.request({ method: 'eth_accounts' }));
      if (!accounts || accounts.length === 0) {
        accounts = /** @type {string[]} */ (await this.provider.request({ method: 'eth_requestAccounts' }));
      }
    } catch (e) {
      throw walletError(e);
    }
    if (!accounts || accounts.length === 0) throw new SessionSigError('wallet_no_account', 'the wallet has no account');
    return toChecksumAddress(accounts[0]);
  }

  /** @returns {Promise<number>} the wallet's chain id (1 when it does not say) */
  async chainId() {
    try {
      const id = /** @type {string} */ (await this.provider.request({ method: 'eth_chainId' }));
      const n = Number.parseInt(id, 16);
      return Number.isSafeInteger(n) && n > 0 ? n : 1;
    } catch {
      return 1;
    }
  }

  /**
   * Ask the wallet to sign `message` (EIP-191 `personal_sign`): one prompt.
   * @param {string} message
   * @param {string} address
   * @returns {Promise<string>} `0x` + 130 hex
   */
  async personalSign(message, address) {
    let sig;
    try {
      sig = await this.provider.request({ method: 'personal_sign', params: ['0x' + toHex(utf8(message)), address] });
    } catch (e) {
      throw walletError(e);
    }
    if (typeof sig !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(sig)) {
      throw new SessionSigError('wallet_error', 'the wallet answered something that is not a 65-byte signature');
    }
    return sig.toLowerCase();
  }

  /**
   * Call `listener` with the new account (or null) when the user switches accounts.
   * @param {(account: string | null) => void} listener
   * @returns {() => void} unsubscribe
   */
  onAccountsChanged(listener) {
    /** @param {string[]} accounts */
    const l = (accounts) => listener(accounts && accounts[0] ? toChecksumAddress(accounts[0]) : null);
    this.provider.on?.('accountsChanged', l);
    return () => this.provider.removeListener?.('accountsChanged', l);
  }
}
