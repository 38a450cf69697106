/** /stats for a period (buttons switch the period in place) and /daily. */
import { Composer, InlineKeyboard } from 'grammy';
import { STAT_PERIODS, type StatPeriod } from '../../services/stats.js';
import type { BotContext } from '../context.js';
import { statsData } from '../callback-data/index.js';
import { answer, editOrReply, replyHtml, userOf } from '../helpers.js';
import { backToMenu } from '../keyboards/menu.js';
import { renderDaily, renderStats } from '../render/stats.js';
import type { FeatureKit } from './kit.js';

function periodKeyboard(ctx: BotContext, current: StatPeriod): InlineKeyboard {
  const kb = new InlineKeyboard();
  for (const p of STAT_PERIODS) kb.text(`${p === current ? '• ' : ''}${ctx.t(`stats-period-${p}`)}`, statsData.pack({ period: p }));
  return backToMenu(ctx, kb);
}

export async function showStats(kit: FeatureKit, ctx: BotContext, period: StatPeriod, edit: boolean): Promise<void> {
  const report = await kit.deps.stats.report(userOf(ctx).id, period);
  const text = renderStats(ctx, report);
  if (edit) await editOrReply(ctx, text, periodKeyboard(ctx, period));
  else await replyHtml(ctx, text, periodKeyboard(ctx, period));
}

export function createStatsFeature(kit: FeatureKit): Composer<BotContext> {
  const c = new Composer<BotContext>();
  const pm = c.chatType('private');
  pm.command('stats', async (ctx) => {
    const arg = ctx.match.trim().toLowerCase();
    const period = (STAT_PERIODS as readonly string[]).includes(arg) ? (arg as StatPeriod) : 'week';
    await showStats(kit, ctx, period, false);
  });
  pm.command('daily', async (ctx) => {
    await replyHtml(ctx, renderDaily(ctx, await kit.deps.stats.daily(userOf(ctx).id, 7)));
  });
  c.callbackQuery(statsData.filter, async (ctx) => {
    const { period } = statsData.unpack(ctx.callbackQuery.data);
    await answer(ctx);
    if (!(STAT_PERIODS as readonly string[]).includes(period)) return;
    await showStats(kit, ctx, period as StatPeriod, true);
  });
  return c;
}
