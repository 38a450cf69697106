import type { I18n } from '@grammyjs/i18n';
import type { BotContext } from '../context.js';
import type { BotDeps } from '../deps.js';
import type { PendingBase, PendingInputs } from '../pending.js';

/** A typed-input step: the next text of the user goes to `handle`. */
export interface Pending extends PendingBase {
  /** The message carries a secret: the router deletes it before anything else. */
  secret: boolean;
  handle(ctx: BotContext, text: string): Promise<void>;
}

export interface FeatureKit {
  deps: BotDeps;
  i18n: I18n<BotContext>;
  pending: PendingInputs<Pending>;
  now(): number;
}
