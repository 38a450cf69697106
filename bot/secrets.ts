/**
 * Recognising pasted keys: a message that is (or contains) something that looks
 * like an API key, an API secret or a private key is deleted at once, wherever
 * it was sent (see features/pending-router.ts), and never echoed.
 */
import type { BotContext } from './context.js';
import { deleteNow, replyHtml } from './helpers.js';

const HEX_KEY = /^(0x)?[0-9a-fA-F]{64}$/;
const TOKEN = /^[A-Za-z0-9]{18,64}$/;

/** A lone token that looks like an API key, secret or private key. */
export function looksLikeSecret(text: string): boolean {
  const t = text.trim();
  return HEX_KEY.test(t) || TOKEN.test(t);
}

/**
 * The text is a key, or has one among its words (a key pasted with a label, `key: …`).
 * A word counts when it is a 64-hex key, or 18-64 letters and digits with both
 * letters and digits (a long ordinary word is not a key).
 */
export function containsSecret(text: string): boolean {
  if (looksLikeSecret(text)) return true;
  return text.split(/[\s:=,;"'`()[\]{}<>]+/).some((w) => HEX_KEY.test(w) || (TOKEN.test(w) && /\d/.test(w) && /[A-Za-z]/.test(w)));
}

/** Deletes a key-like message and says why; if it cannot be deleted, asks the user to delete it. Never repeats it. */
export async function dropSecretMessage(ctx: BotContext, t: (key: string) => string, chatId: number, messageId: number): Promise<boolean> {
  const deleted = await deleteNow(ctx, chatId, messageId);
  ctx.log.info({ messageId, deleted }, 'a key-like message was removed');
  await replyHtml(ctx, t(deleted ? 'secret-deleted' : 'secret-delete-failed'));
  return deleted;
}
