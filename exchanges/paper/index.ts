export { createPaperAdapter, PAPER_HOST, type PaperAdapter, type PaperAdapterOptions } from './adapter.js';
export { PaperEngine, type FillListener, type OrderListener, type PaperEngineOptions, type ProtectionChange } from './engine.js';
export { candlePath, limitFillPrice, limitTouched, liquidationPrice, triggerCrossed, triggerFillPrice } from './fill-rules.js';
export { bundledMarkets, bundledReferencePrices, MarketIndex } from './markets.js';
export {
  FeedEmitter,
  ManualPriceFeed,
  SimulatedPriceFeed,
  timeframeMs,
  type PriceFeed,
  type PriceListener,
  type PriceUpdate,
  type SimulatedPriceFeedOptions,
} from './price-feed.js';
export { CandleReplayFeed } from './candle-replay-feed.js';
export { PublicPriceFeed, BYBIT_PUBLIC_TICKERS_URL, type FetchLike, type PublicPriceFeedOptions } from './public-price-feed.js';
export { CANDLE_CSV_HEADER, formatCandleCsv, parseCandleCsv, readCandleCsv } from './candles-csv.js';
export { FilePaperStore, MemoryPaperStore, paperStateFileName, type PaperStore } from './store.js';
export { emptyState, PAPER_STATE_VERSION, type PaperFill, type PaperOrder, type PaperPosition, type PaperState } from './state.js';
