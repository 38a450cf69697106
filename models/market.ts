export type ExchangeId = 'bybit' | 'hyperliquid' | 'paper';
export type Environment = 'mainnet' | 'testnet' | 'demo';
export const EXCHANGE_IDS: readonly ExchangeId[] = ['bybit', 'hyperliquid', 'paper'];
export const ENVIRONMENTS: readonly Environment[] = ['mainnet', 'testnet', 'demo'];

/**
 * A perpetual-futures market. `symbol` is the product's unified BASE/QUOTE
 * form used by signals ("BTC/USDT", "1000PEPE/USDT"); `exchangeSymbol` is the
 * adapter's own id for it (ccxt "BTC/USDT:USDT", "KPEPE/USDC:USDC", ...).
 */
export interface Market {
  symbol: string;
  exchangeSymbol: string;
  base: string;
  quote: string;
  settle: string;
  /** Price tick size (e.g. 0.1). */
  tickSize: number;
  /** Quantity step size in base units (e.g. 0.001). */
  stepSize: number;
  minQty: number;
  maxQty: number | null;
  /** Minimum order value in quote currency. */
  minNotional: number;
  maxLeverage: number;
  /** Size of one contract in base units (1 for linear perps we support). */
  contractSize: number;
  takerFee: number;
  makerFee: number;
  active: boolean;
}

export interface Ticker {
  symbol: string;
  last: number;
  bid: number | null;
  ask: number | null;
  mark: number | null;
  timestamp: number;
}

export interface Candle {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface Balance {
  currency: string;
  total: number;
  free: number;
  used: number;
}
