/**
 * Typed callback data: "<prefix>:<v1>:<v2>…", checked at build time to fit
 * Telegram's 64-byte limit. Values may not contain ':'.
 */
export const MAX_CALLBACK_BYTES = 64;

export interface CallbackData<F extends string> {
  readonly prefix: string;
  /** Matches this kind of data, for bot.callbackQuery(). */
  readonly filter: RegExp;
  pack(values: Record<F, string | number>): string;
  unpack(data: string): Record<F, string>;
}

export function createCallbackData<const F extends string>(prefix: string, fields: readonly F[]): CallbackData<F> {
  if (prefix.includes(':')) throw new Error(`callback prefix ${prefix} contains ':'`);
  return {
    prefix,
    filter: new RegExp(`^${prefix}(:|$)`),
    pack(values) {
      const parts = fields.map((f) => {
        const v = String(values[f]);
        if (v.includes(':')) throw new Error(`callback value for ${f} contains ':'`);
        return v;
      });
      const data = [prefix, ...parts].join(':');
      if (Buffer.byteLength(data, 'utf8') > MAX_CALLBACK_BYTES) throw new Error(`callback data longer than ${MAX_CALLBACK_BYTES} bytes: ${prefix}`);
      return data;
    },
    unpack(data) {
      const parts = data.split(':');
      if (parts[0] !== prefix) throw new Error(`not ${prefix} callback data`);
      const out = {} as Record<F, string>;
      fields.forEach((f, i) => (out[f] = parts[i + 1] ?? ''));
      return out;
    },
  };
}

/** Main menu: Accounts, Signals, Settings, Positions, Stats, Help. */
export const menuData = createCallbackData('m', ['to']);
export const languageData = createCallbackData('lg', ['code']);
/** Connect wizard: step is ex (exchange) / env / cancel. */
export const connectData = createCallbackData('cx', ['step', 'value']);
/** Accounts: open, def (make default), ren (rename), del (ask), rm (confirmed remove), list. */
export const accountData = createCallbackData('ac', ['action', 'id']);
/** Sources: open, tog (subscribe toggle), mode, ovr (overrides), list. */
export const sourceData = createCallbackData('sr', ['action', 'id']);
/** Settings: scope 0 = global, else a source id; action page/set/ask/reset; item index; value. */
export const settingsData = createCallbackData('st', ['action', 'scope', 'item', 'value']);
/** Positions: cl (close with value = percent), be (stop to breakeven); account id; symbol. */
export const positionData = createCallbackData('ps', ['action', 'account', 'symbol', 'value']);
/** Signal previews (forwarded posts, confirm-mode signals): x (execute), i (ignore), s (subscribe). */
export const previewData = createCallbackData('pv', ['action', 'id']);
/** Manual trade wizard: side / ok / cancel. */
export const tradeData = createCallbackData('tr', ['action', 'value']);
export const statsData = createCallbackData('sx', ['period']);
export const cancelData = createCallbackData('cancel', []);
