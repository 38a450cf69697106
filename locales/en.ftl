## Commands
cmd-start = Start
    .description = Start and main menu
cmd-connect = Connect
    .description = Connect an exchange account
cmd-accounts = Accounts
    .description = Your exchange accounts
cmd-sources = Sources
    .description = Signal sources and subscriptions
cmd-settings = Settings
    .description = Risk and trading settings
cmd-positions = Positions
    .description = Open positions
cmd-orders = Orders
    .description = Open orders
cmd-balance = Balance
    .description = Account balances
cmd-close = Close
    .description = Close a position: /close BTC
cmd-trade = Trade
    .description = Open a trade by hand
cmd-stats = Stats
    .description = Trading statistics
cmd-daily = Daily
    .description = Results by day
cmd-parse = Parse
    .description = Show how the bot reads a text
cmd-language = Language
    .description = Change the language
cmd-help = Help
    .description = What the bot can do
cmd-cancel = Cancel
    .description = Cancel the current step
cmd-license = License
    .description = Your license status
cmd-admin = Admin
    .description = Administration (admins only)

## Start
start-greeting = Hi, { $name }! 👋
start-about = I copy trading signals from Telegram channels to your Bybit or HyperLiquid account, with your own risk settings.
    Try everything on the Paper account first: no keys needed.
menu-title = Main menu
btn-menu-accounts = 🔑 Accounts
btn-menu-sources = 📡 Signals
btn-menu-settings = ⚙️ Settings
btn-menu-positions = 📊 Positions
btn-menu-stats = 📈 Stats
btn-menu-help = ❓ Help
btn-back-menu = « Menu
btn-back = « Back
btn-cancel = Cancel
cancelled = Cancelled.
help-text = <b>What I can do</b>
    /connect — connect Bybit or HyperLiquid (or use Paper)
    /accounts — accounts: default, rename, remove
    /sources — signal channels: subscribe, auto or confirm, overrides
    /settings — size, leverage, stops, targets, limits
    /positions, /orders, /balance — what is open
    /close BTC — close a position
    /trade — open a trade by hand
    /stats, /daily — results
    /grid — grid (DCA) bots
    /license — your license
    /parse text — how I read a signal
    To add a channel as a source, make me an admin there. Forward me a post to preview it.
unknown-command = I don't know the command { $command }. Here is what I can do: /help
unknown-text = I did not understand that. Use the menu or /help.
secret-deleted = That looked like a key, so I deleted it. To connect an exchange, use /connect.
secret-delete-failed = That looked like a key, but I could not delete it: please delete that message yourself, and if it is a real key, replace it on the exchange.
button-expired = This button is no longer active.
flood-slow-down = Too many requests, please slow down a little.

## Language
language-choose = Choose your language:
language-changed = Language changed: English.
language-name-en = English
language-name-ru = Русский

## Accounts
accounts-title = <b>Your accounts</b>
accounts-hint = ⭐ marks the default account used for signals and manual trades.
accounts-is-default = This is your default account.
accounts-paper-note = Paper trading: simulated orders on real market data, no keys, no risk.
accounts-status-active = active
accounts-status-invalid = ⚠️ keys invalid
accounts-status-removed = removed
accounts-default-set = Default account changed.
accounts-remove-confirm = Remove the account <b>{ $label }</b>? Its keys will be erased.
accounts-removed = Account removed, its keys are erased.
accounts-ask-label = Send a new name for the account (up to 32 characters).
accounts-renamed = Renamed to <b>{ $label }</b>.
btn-accounts-connect = ➕ Connect an exchange
btn-accounts-default = ⭐ Make default
btn-accounts-rename = ✏️ Rename
btn-accounts-remove = 🗑 Remove
btn-accounts-remove-confirm = Yes, remove

## Connect
connect-choose-exchange = Which exchange do you want to connect?
connect-choose-environment = { $exchange }: which environment?
env-mainnet = Mainnet
env-testnet = Testnet
env-demo = Demo
connect-ask-api-key = Send the <b>API key</b>. Create it with permissions for derivatives trading only, without withdrawals, and bind it to an IP if you can.
connect-ask-api-secret = Got the key. Now send the <b>API secret</b>.
connect-ask-wallet = Send your <b>wallet address</b> (0x…).
connect-ask-private-key = Now send the <b>private key of the API wallet</b> approved for this address (not your main wallet's key).
connect-secret-note = 🔒 I delete each message with a key right away and store keys only encrypted.
connect-checking = ⏳ Checking the keys…
connect-success = ✅ Connected: <b>{ $label }</b>
connect-key-hint = Key: <code>{ $hint }</code>
connect-balance = Balance: { $total } { $currency } (free { $free })
connect-warn-ip = ⚠️ This key is not bound to an IP address. Bybit deletes such keys after 90 days; bind it to the server's IP to keep it working.
connect-warn-expires = Key expires on { $date }.
connect-failed = ❌ Could not connect.
connect-nothing-stored = Nothing was stored. Try again with /connect.
connect-cancelled = Connection cancelled. Nothing was stored.
btn-connect-retry = Try again

## Sources
sources-title = <b>Signal sources</b>
sources-empty = No signal sources yet. Make me an admin of a channel with signals and it appears here.
sources-subscribed = ✅ Subscribed, mode: { $mode }
sources-not-subscribed = Not subscribed
sources-mode-auto = auto
sources-mode-confirm = confirm
sources-overrides-count = Own settings for this source: { $count }
sources-paused = ⏸ Paused: I am no longer an admin there.
sources-added-notice = 📡 The channel <b>{ $title }</b> is now a signal source, and you are subscribed to it (auto mode). Change this in /sources.
sources-removed-notice = ⏸ I am no longer an admin of <b>{ $title }</b>: its signals are paused.
sources-subscribed-toast = Subscribed
sources-unsubscribed-toast = Unsubscribed
btn-sources-subscribe = ✅ Subscribe
btn-sources-unsubscribe = 🚫 Unsubscribe
btn-sources-mode = Mode: { $mode }
btn-sources-overrides = ⚙️ Settings for this source

## Signals
parse-usage = Send /parse followed by the text of a signal.
parse-signal = ✅ A trade signal:
parse-none = ❌ Not a trade signal.
parse-reason = Reason: { $reason }
parse-update = 🔄 An update to an earlier signal: { $action }
parse-symbol = Symbol: { $symbol }
parse-breakeven = Stop to breakeven
parse-warnings = Notes: { $warnings }
parse-action-close = close
parse-action-cancel = cancel
parse-action-move-sl = move the stop
parse-action-tp-hit = target reached
parse-action-sl-hit = stop hit
parse-action-other = other
parse-reason-empty-message = the message is empty
parse-reason-message-too-long = the message is too long
parse-reason-educational = an educational post
parse-reason-promotion = an advertisement
parse-reason-results-recap = a results recap
parse-reason-news = news
parse-reason-commentary = a market commentary
parse-reason-no-symbol = no coin found
parse-reason-multiple-symbols = several coins in one post
parse-reason-conflicting-sides = both long and short
parse-reason-no-entry = no entry price
parse-reason-no-stop-loss-or-take-profit = no stop-loss or take-profit
parse-reason-no-side = no direction (long or short)
parse-reason-stop-loss-on-the-wrong-side-of-entry = the stop-loss is on the wrong side of the entry
parse-reason-take-profit-on-the-wrong-side-of-entry = a take-profit is on the wrong side of the entry
parse-reason-inconsistent-prices = the prices do not fit together
forward-no-text = This post has no text I could read.
forward-not-signal = This post is not a trade signal, so nothing will be done.
forward-is-update = it updates an earlier signal; such updates apply to trades from subscribed channels
forward-preview-title = 📨 <b>Signal preview</b>
forward-from-source = From: { $title }
forward-refused = ⚠️ Would not be traded: { $reason }
preview-executed = ✅ Sent (trade #{ $id }).
preview-ignored = Ignored.
preview-already-executed = ℹ️ Already executed: this post is trade #{ $id }; nothing new was sent.
btn-preview-execute = ✅ Execute
btn-preview-ignore = ✖ Ignore
btn-preview-subscribe = 📡 Subscribe to the channel
plan-entry-market = market
plan-entries = Entry: { $entries }
plan-size = Size: { $quantity } (margin { $margin } USDT)
plan-stop = Stop-loss: { $sl }
plan-targets = Targets: { $tps }
plan-signal-entries = Signal entry zone: { $entries }
plan-warn-entries-merged = Some entry orders were below the exchange minimum and were merged into fewer orders.
plan-warn-default-stop = The signal has no stop-loss: your default stop-loss is used.
plan-warn-no-targets = No take-profit targets: the position is closed only by the stop-loss or by you.
plan-warn-other = Plan note: { $code }
side-long = 🟢 LONG
side-short = 🔴 SHORT

## Refusals
refusal-max-trades = the limit of open trades is reached
refusal-max-exposure = the exposure limit is reached
refusal-one-per-symbol = a trade on this coin is already open
refusal-daily-loss = the daily loss limit is reached
refusal-cooldown = a pause after a stop-loss on this coin
refusal-signal-too-old = the signal is too old
refusal-no-stop = the signal has no stop-loss
refusal-invalid-stop = the stop-loss is not valid
refusal-no-targets = no take-profit targets
refusal-below-min-size = the size is below the exchange minimum
refusal-market-not-found = the exchange has no such market
refusal-insufficient-balance = not enough balance
refusal-no-account = no exchange account
refusal-account-unavailable = the account is unavailable
refusal-exchange-error = the exchange returned an error
refusal-not-a-signal = not a trade signal
refusal-entry-gate = new trades are paused
refusal-same-symbol-open = this account already has a trade or a grid on this coin
refusal-gate-kill-switch = new trades are paused for everyone by the administrators
refusal-gate-unknown-user = you are not registered
refusal-gate-user-blocked = your access is blocked
refusal-gate-user-pending = your access is not approved yet
refusal-gate-user-inactive = your account is inactive
refusal-gate-paused-by-user = you paused trading
refusal-gate-license-expired = your license has expired (/license)
refusal-gate-license-none = a license is needed for new trades (/license)
refusal-gate-source-paused = this source is paused by its owner

## Settings
settings-title = <b>⚙️ Settings</b>
settings-hint = Choose a section. Buttons switch values; numbers are typed in.
settings-overrides-title = <b>⚙️ Settings for { $title }</b>
settings-overrides-cleared = Own settings for this source cleared.
settings-group-size = 💰 Size and leverage
settings-group-entries = 🎯 Entries, targets, stops
settings-group-risk = 🛡 Limits
settings-group-notify = 🔔 Notifications and language
settings-item-size-mode = Size mode
settings-item-size-value = Size
settings-item-leverage-mode = Leverage
settings-item-leverage = Fixed leverage
settings-item-max-leverage = Leverage cap
settings-item-margin-mode = Margin
settings-item-entry-mode = Entry
settings-item-entry-timeout-min = Entry timeout, min
settings-item-tp-split = Take-profit split
settings-item-stop-policy = Stop-loss
settings-item-default-stop-pct = Default stop
settings-item-breakeven-after-tp = Breakeven after TP
settings-item-trailing-pct = Trailing stop
settings-item-max-trades = Max trades
settings-item-max-exposure-usdt = Max exposure, USDT
settings-item-daily-loss-limit-usdt = Daily loss limit, USDT
settings-item-follow-updates = Follow channel updates
settings-item-notify-fills = Fill notifications
settings-item-notify-daily = Daily summary
settings-item-language = Language
settings-opt-fixed = fixed
settings-opt-balance-pct = % of balance
settings-opt-risk-pct = % risk
settings-opt-signal = from signal
settings-opt-isolated = isolated
settings-opt-cross = cross
settings-opt-market = market
settings-opt-signal-or-default = signal or default
settings-opt-skip-without = skip signals without
settings-on = on
settings-off = off
settings-tp-even = even
settings-inherited = { $value } (general)
settings-ask-number = Send a number from { $min } to { $max }.
settings-ask-list = Send shares in percent separated by spaces, e.g. <code>50 30 20</code>, or <code>even</code>.
settings-saved = ✅ Saved: { $name }
settings-error-not-number = That is not a number.
settings-error-not-integer = A whole number is needed.
settings-error-range = The value must be from { $min } to { $max }.
settings-error-list = Send positive numbers separated by spaces (at most 10), or <code>even</code>.
settings-error-leverage-cap = The leverage is above your cap of { $max }x. Raise the cap first.
settings-error-cap-below = The cap is below your fixed leverage of { $leverage }x.
settings-error-invalid = This value is not allowed.
btn-settings-inherit = Use the general value
btn-settings-reset-overrides = ♻️ Reset to general settings

## Trading
positions-empty = No open positions.
positions-title = Open positions: { $count }
positions-more = …and { $count } more.
positions-line-size = Size { $quantity } · entry { $entry } · mark { $mark }
positions-line-pnl = Unrealized PnL: { $pnl } USDT
positions-line-protection = SL { $sl } · TP { $tp }
positions-none = none
positions-closing = Closing…
positions-closed = ✅ { $symbol }: closed { $quantity } at { $price }.
positions-closed-pnl = Realized PnL: { $pnl } USDT
positions-breakeven-done = Stop moved to breakeven: { $price }
btn-positions-close-all = Close 100%
btn-positions-close-half = Close 50%
btn-positions-breakeven = 🛡 Stop to breakeven
orders-empty = No open orders.
orders-title = <b>Open orders</b>
orders-buy = buy
orders-sell = sell
orders-market = market
orders-trigger = trigger
orders-more = …and { $count } more.
balance-title = <b>Balances</b>
balance-line = { $total } { $currency } (free { $free }, in use { $used })
balance-unavailable = unavailable ({ $code })
close-usage = Which position? For example: <code>/close BTC</code>
trade-ask-symbol = Manual trade on <b>{ $account }</b>. Which coin? For example <code>BTC</code> or <code>ETH/USDT</code>.
trade-bad-symbol = That does not look like a coin. Send, for example, <code>BTC</code>.
trade-ask-side = { $symbol }: long or short?
trade-ask-margin = { $symbol } { $side }: how much margin, in USDT? Choose or type a number.
trade-bad-margin = Send a positive number of USDT, for example <code>25</code>.
trade-confirm = <b>Confirm the trade</b>
trade-opened = ✅ Trade #{ $id } on { $symbol } sent.
trade-cancelled = Trade cancelled.
trade-expired = This trade draft has expired. Start again with /trade.
trade-already-confirmed = This trade was already sent.
btn-trade-long = 🟢 Long
btn-trade-short = 🔴 Short
btn-trade-my-size = My size settings
btn-trade-confirm = ✅ Confirm

## Stats
stats-title = <b>📈 Stats: { $period }</b>
stats-period-day = today
stats-period-week = 7 days
stats-period-month = 30 days
stats-period-all = all time
stats-empty = No closed trades in this period.
stats-pnl = Realized PnL: <b>{ $pnl } USDT</b>
stats-trades = Trades: { $trades } (won { $wins }, lost { $losses })
stats-winrate = Win rate: { $rate }
stats-profit-factor = Profit factor: { $pf }
stats-drawdown = Max drawdown: { $dd } USDT
stats-fees = Fees: { $fees } USDT
stats-by-source = <b>By source</b>
stats-by-symbol = <b>By coin</b>
stats-manual = manual trades
daily-title = <b>📅 By day (UTC)</b>
daily-trades = trades: { $trades }, won: { $wins }

## Notifications
notify-burst = 🔔 { $count } updates:
notify-signal-preview = 📨 <b>New signal</b> (confirm mode)
notify-plan-refused = ⏭ { $symbol }: signal skipped — { $reason }.
notify-entry-placed = 🕒 { $symbol } { $side }: entry orders placed ({ $count }).
notify-trade-opened = ✅ { $symbol } { $side } opened at { $price }, size { $quantity }, ×{ $leverage }, SL { $sl }.
notify-entry-filled = ➕ { $symbol }: filled { $filled } of { $planned } at { $price }.
notify-entry-first = ✅ { $symbol } { $side } opened at { $price }, size { $filled } of { $planned } (the other entries are still working), SL { $sl }.
notify-tp-hit = 🎯 { $symbol }: target { $index } reached at { $price }, left { $remaining }.
notify-sl-moved = 🛡 { $symbol }: stop moved to { $price } ({ $why }).
notify-sl-hit = 🛑 { $symbol }: stop-loss hit at { $price }.
notify-trade-closed = 🏁 { $symbol } { $side } closed at { $price } ({ $reason }). PnL: <b>{ $pnl } USDT</b>
notify-estimated = (estimated)
notify-trade-cancelled = ✖ { $symbol }: entry cancelled ({ $why }).
notify-stop-failed-closed = 🚨 { $symbol }: the stop-loss could not be placed ({ $error }), so the position was closed.
notify-protection-failed = ⚠️ { $symbol }: could not place the { $what } ({ $error }).
notify-stop-failed-close-failed = 🚨🚨 <b>ACT NOW</b> — { $symbol } { $side }: the position could not be closed ({ $reason }) and <b>no stop-loss protects it</b>. Left: { $remaining }. Close it on the exchange yourself now. Error: { $error } (attempts: { $attempts }). I keep trying.
notify-close-incomplete = ⚠️ { $symbol } { $side }: the close did not complete ({ $reason }); { $remaining } left, protected by a stop-loss at { $sl }. I keep trying to close it.{ $error }
notify-close-incomplete-error = { " " }Error: { $error }.
notify-sl-move-failed = ⚠️ { $symbol }: the exchange refused to move the stop-loss to { $price } ({ $error }). { $kept }
notify-sl-kept = The stop-loss stays at { $price }.
notify-sl-kept-none = <b>No stop-loss could be confirmed: check the position on the exchange now.</b>
notify-remaining-unknown = an unknown quantity
notify-discrepancy = ⚠️ { $symbol }: the exchange state differs from ours; I have synchronised it.
notify-error = ⚠️ { $symbol }: { $error }
notify-daily-title = <b>📅 Your day</b>
notify-why-breakeven = breakeven
notify-why-follow-up = channel update
notify-why-manual = by you
notify-why-trailing = trailing
notify-close-stop-loss = stop-loss
notify-close-take-profit = take-profit
notify-close-manual = by you
notify-close-follow-up = channel update
notify-close-liquidation = liquidation
notify-close-position-gone = closed on the exchange
notify-close-stop-failed = stop could not be placed
notify-close-timeout = timeout
notify-cancel-follow-up = channel update
notify-cancel-manual = by you
notify-cancel-timeout = not filled in time
notify-cancel-rejected = rejected by the exchange
notify-cancel-never-sent = never sent
notify-what-take-profit = take-profit
notify-what-stop-loss = stop-loss

## Errors
err-generic = 😔 Something went wrong. I have logged it; error id: <code>{ $id }</code>.
err-unknown-code = error { $code }
err-internal = An internal error occurred.
err-user-input = That input is not valid.
err-validation = That value is not valid.
err-config = The bot is not configured correctly.
err-illegal-transition = This action is not possible in the trade's current state.
err-vault = The stored keys could not be read.
err-vault-decrypt = The stored keys could not be decrypted. Connect the account again.
err-exchange = The exchange returned an error.
err-auth-failed = The exchange rejected the keys: check the API key and secret.
err-permission-denied = The key has no permission for this action.
err-insufficient-funds = Not enough funds on the account.
err-invalid-order-size = The order size is outside the exchange limits.
err-order-rejected = The exchange rejected the order.
err-order-not-found = The order was not found on the exchange.
err-order-state-unknown = The order's state is unknown; I will check it again shortly.
err-rate-limited = The exchange asks to slow down; try again in a minute.
err-exchange-unavailable = The exchange is not responding; try again later.
err-circuit-open = The exchange is failing right now, so I paused requests to it; try again in a few minutes.
err-network-timeout = The exchange did not answer in time.
err-market-not-found = The exchange has no such market.
err-not-supported = This exchange does not support that.
err-key-can-withdraw = This key can withdraw funds. For your safety I only accept keys without withdrawal permission: create a new key without it.
err-key-cannot-trade = This key cannot trade derivatives (read-only or missing permissions).
err-agent-not-approved = This private key is not an API wallet approved for the address.
err-duplicate-key = This key is already connected.
err-paper-permanent = The Paper account cannot be removed.
err-account-not-found = Account not found.
err-account-in-use = This account still has open trades or running grid bots. Close them (or stop the grids) first, then remove it.
err-source-not-found = Source not found.
err-no-position = There is no open position in this coin.
err-preview-expired = This preview has expired; forward the post again.
err-plan-refused = Not executed: { $reason }.

## Admin
admin-not-allowed = This is for administrators only.
admin-menu = 🛠 <b>Admin</b>
    Kill switch: { $kill }
    Access requests waiting: { $pending }
admin-kill-on = ON — new entries are paused for everyone
admin-kill-off = off
admin-btn-find = 🔎 Find user
admin-btn-pending = ⏳ Requests ({ $count })
admin-btn-sources = 📡 Sources
admin-btn-broadcast = 📣 Broadcast
admin-btn-health = 🩺 Health
admin-btn-invite = 🎟 Invites
admin-btn-kill = 🛑 Kill switch
admin-btn-kill-undo = ▶️ Resume entries
admin-btn-back = ◀️ Back
admin-btn-cancel = ✖️ Cancel
admin-btn-refresh = 🔄 Refresh
admin-find-ask = Send a user id, a Telegram id or an @username.
admin-find-none = Nobody matches { $query }.
admin-user-card = 👤 <b>User #{ $id }</b> (Telegram { $tg }, @{ $username })
    Role: { $role }, status: { $status }
    { $license }
    <b>Accounts</b>
    { $accounts }
    <b>Subscriptions</b>
    { $subs }
    <b>Open trades</b>
    { $trades }
admin-user-account = • { $exchange } { $env } «{ $label }» { $hint } ({ $status })
admin-user-sub = • { $title } ({ $state })
admin-sub-off = off
admin-user-trade = • #{ $id } { $symbol } { $side } { $qty } @ { $entry } ({ $status })
admin-none = —
admin-btn-approve = ✅ Approve
admin-btn-block = ⛔ Block
admin-btn-unblock = ♻️ Unblock
admin-btn-promote = ⭐ Make admin
admin-btn-demote = Remove admin
admin-btn-grant-month = 🎫 Grant 30 days
admin-btn-extend-days = ➕ { $days } days
admin-btn-revoke = ✖️ Revoke license
admin-done = ✅ Done.
admin-refused = Not possible: { $reason }.
admin-pending-none = No access requests are waiting.
admin-pending-title = Access requests waiting: { $count }
admin-pending-item = Request #{ $id } — user #{ $user }
admin-sources-title = <b>Sources</b> ({ $count })
admin-source-line = • #{ $id } { $title } — { $subs } subscribers, { $visibility }{ $paused }
admin-source-paused = , paused
admin-broadcast-target = Who should get the broadcast?
admin-btn-bc-all = Everyone ({ $count })
admin-btn-bc-source = { $title } ({ $count })
admin-broadcast-ask = Send the text to broadcast to { $count } users, or /cancel.
admin-broadcast-confirm = Send this to { $count } users?

    { $text }
admin-btn-bc-send = ✅ Send
admin-broadcast-started = 📣 Broadcasting to { $count } users…
admin-broadcast-done = 📣 Broadcast finished: { $delivered } delivered, { $blocked } blocked the bot, { $failed } failed (of { $total }).
admin-cancelled = Cancelled.
admin-health = 🩺 <b>Health</b>
    Uptime: { $uptime }
    Kill switch: { $kill }
    Last hour: { $signals } signals, { $orders } orders, { $trades } trades, { $errors } errors
    Users: { $active } active, { $pending } pending, { $blocked } blocked
    Exchange requests waiting: { $queued }
admin-health-breakers = Breakers not closed: { $count }
admin-health-breaker = • { $key }: { $status } ({ $reason })
admin-health-queue = • queue { $key }: { $queued }
admin-health-errors = Last errors: { $count }
admin-health-error = • <code>{ $id }</code> { $code } { $at }: { $message }
admin-kill-confirm = 🛑 Pause ALL new entries for everyone? Open trades stay managed and nothing is closed. Tap again to confirm.
admin-btn-kill-confirm = 🛑 Yes, pause all entries
admin-kill-set = 🛑 Kill switch is ON: no new entries for anyone.
admin-kill-undo-confirm = ▶️ Resume new entries for everyone? Tap again to confirm.
admin-btn-kill-undo-confirm = ▶️ Yes, resume entries
admin-kill-cleared = ▶️ Kill switch is off: new entries are allowed again.
admin-invites-title = 🎟 Create an invite code:
admin-btn-invite-single = Single use, 7 days
admin-btn-invite-multi = 10 uses, 7 days
admin-invite-created = 🎟 Invite code: <code>{ $code }</code>
    Uses: { $uses }, expires { $expires }
    Link: { $link }
admin-request-approved = ✅ Request #{ $id } approved (Telegram { $tg }).
admin-request-rejected = ❌ Request #{ $id } rejected (Telegram { $tg }).
admin-request-decided = Request #{ $id } was already decided: { $status }.
admin-alert-breaker = ⚠️ Exchange breaker opened: { $key } ({ $reason })
admin-alert-errors = ⚠️ { $count } errors in a row on account { $account } (last: { $code })
admin-alert-recon = ⚠️ Reconciliation: { $kind } for user #{ $user } ({ $symbol })
admin-alert-restart = ℹ️ The bot restarted (previous start: { $previous }).
admin-alert-kill-on = 🛑 Kill switch turned ON by { $by }: no new entries.
admin-alert-kill-off = ▶️ Kill switch turned off by { $by }.
admin-alert-suppressed = ({ $count } more alerts held back)

## Access
access-blocked = ⛔ Your access to this bot has been blocked.
access-need-invite = 🔒 This bot is invite-only. Send your invite code, or ask the administrators for access.
access-btn-request = 🙋 Request access
access-request-sent = 🙋 Your request was sent to the administrators. You will get a message when it is decided.
access-pending = ⏳ Your request is waiting for an administrator. You can also send an invite code.
access-request-wait = Your last request was declined. You can send an invite code or ask again later.
access-invite-ok = ✅ Welcome! Your invite code was accepted. Send /start to begin.
access-invite-invalid = This invite code is not valid.
access-invite-expired = This invite code has expired.
access-invite-used-up = This invite code has been used up.
access-invite-revoked = This invite code was withdrawn.
access-invite-already-redeemed = You have already used this invite code.
access-approved = ✅ An administrator approved your access. Send /start to begin.
access-rejected = Your request for access was declined.
access-admin-request = 🙋 Access request #{ $id }
    { $name } (@{ $username }, Telegram { $tg })
access-btn-approve = ✅ Approve
access-btn-reject = ❌ Reject
license-status-unlimited = 🎫 License: unlimited (administrator).
license-status-none = 🎫 You have no license.
license-status-active = 🎫 License active until { $expires } ({ $days } days left).
license-status-grace = 🎫 License expired on { $expires }. New trades are paused; your open trades are still managed until { $grace }.
license-status-expired = 🎫 License expired on { $expires }. New trades are paused and open trades are no longer managed by the bot (they stay on the exchange as they are).
license-plan = Plan: { $plan }
license-expiring = 🎫 Your license ends in { $days } days ({ $expires }). Ask an administrator to extend it.
license-expired = 🎫 Your license has expired. New trades are paused. Your { $trades } open trades are still managed until { $grace }; nothing is closed without your word.
license-grace-ended = 🎫 The grace period is over. Your { $trades } open trades stay on the exchange with their stop-loss and targets, but the bot no longer manages them. Nothing was closed.
license-granted = 🎫 Your license was extended by { $days } days, until { $expires }.

## Grid
cmd-grid = Grid
    .description = Grid (DCA) bots
grid-menu-title = 🧮 Grid bots
grid-menu-empty = No grid bots yet. A grid buys more as the price falls (long) or rises (short) and takes profit on the whole position.
grid-menu-count = Your grid bots: { $count }
btn-grid-new-long = ➕ Long grid
btn-grid-new-short = ➕ Short grid
btn-grid-pause = ⏸ Pause
btn-grid-resume = ▶️ Resume
btn-grid-stop = ⏹ Stop
btn-grid-stop-final = ⏹ Yes, stop and close
btn-grid-stats = 📊 Stats
btn-grid-back = ⬅️ Back
btn-grid-cancel = Cancel
btn-grid-confirm = ✅ Start the grid
btn-grid-confirm-no-stop = ⚠️ Start without a stop-loss
btn-grid-confirm-no-stop-final = I understand, start without a stop-loss
grid-side-long = long
grid-side-short = short
grid-off = off
grid-wizard-start = New { $side } grid on { $account }. Answer each question; percentages as plain numbers.
grid-ask-symbol = Coin (e.g. BTC or DOGE/USDT)?
grid-ask-deposit = Deposit: the margin in USDT the grid may use?
grid-ask-leverage = Leverage?
grid-ask-levels = Number of grid levels (the market order included)?
grid-ask-coverage = Coverage, % from the current price to the last level?
grid-ask-multiplier = Martingale multiplier (each level is this many times the previous one, 1 = equal)?
grid-ask-take-profit = Take-profit, % from the average entry?
grid-ask-stop-loss = Stop-loss, % from the average entry? (recommended; "off" turns it off)
grid-ask-pause = Pause between cycles, in seconds (0 = none)?
grid-ask-max-cycles = Maximum number of cycles (0 = no limit)?
grid-err-range = That value is outside { $min } … { $max }.
grid-preview-title = Grid { $symbol } { $side }
grid-preview-price = Current price: { $price }
grid-preview-sizing = Deposit { $deposit } USDT × { $leverage }, base quantity { $qty }
grid-preview-level = { $index }. { $price } × { $qty } ({ $kind })
grid-level-market = market
grid-level-limit = limit
grid-preview-margin = Margin if every level fills: { $margin } USDT (position { $notional } USDT)
grid-preview-full = Fully filled: average { $avg }, take-profit { $tp }, stop-loss { $sl }
grid-preview-settings = Take-profit { $tp }%, stop-loss { $sl }, pause { $pause } s, cycles { $cycles }
grid-preview-balance = Free balance: { $free } USDT
grid-warn-merged = Levels { $levels } were below the exchange minimum and were merged into the next level.
grid-warn-unreachable = The stop-loss comes before levels { $levels }: they will never fill.
grid-warn-liquidation = At this leverage the position is liquidated about { $pct }% from the entry, before the stop-loss.
grid-warn-no-stop = No stop-loss: a long move against the grid can take the whole deposit.
grid-confirm-no-stop = Without a stop-loss nothing limits the loss of this grid except liquidation. Start anyway?
grid-confirm-stop = Stop grid #{ $id }? Its orders are cancelled and the position is closed at market.
grid-cancelled = Cancelled.
grid-created = ✅ Grid started.
grid-status-running = running
grid-status-paused = paused
grid-status-stopping = stopping
grid-status-stopped = stopped
grid-bot-cycles = Cycles: { $cycles }, PnL { $pnl } USDT
grid-bot-position = Cycle { $cycle }: { $qty } at { $avg } ({ $filled }/{ $levels } levels), take-profit { $tp }, stop-loss { $sl }
grid-bot-waiting = Waiting for the next cycle.
grid-bot-error = Last attempt failed ({ $code }); I keep retrying.
grid-bot-paused = ⏸ New cycles wait: { $reason }.
grid-err-below-minimum = The first order is below the exchange minimum. Deposit at least { $deposit } USDT, or use fewer levels or a smaller multiplier.
grid-err-symbol-busy = { $symbol } already has a grid or an open trade on this account.
grid-err-balance = Not enough free balance: the grid needs { $required } USDT, { $free } USDT is free.
grid-err-leverage = The exchange allows at most × { $max } on this coin.
grid-err-invalid = The value of { $field } is not valid.
grid-err-expired = This preview has expired; start again with /grid.
grid-err-no-account = Connect an exchange account first (/connect).
grid-err-paused = New grids cannot start now: { $reason }.
grid-stats-title = Grid #{ $id } stats
grid-stats-cycles = Cycles: { $cycles } (take-profit { $tp }, stop-loss { $sl }, other { $other })
grid-stats-pnl = PnL { $pnl } USDT, fees { $fees } USDT
grid-stats-avg-time = Average cycle: { $minutes } min
grid-stats-cycle = #{ $cycle } { $reason }: { $pnl } USDT, { $levels } levels
grid-reason-take-profit = take-profit
grid-reason-stop-loss = stop-loss
grid-reason-manual = stopped by you
grid-reason-external = closed on the exchange
grid-reason-aborted = not opened
grid-stop-manual = stopped by you
grid-stop-max-cycles = all cycles done
grid-stop-stop-loss = stop-loss hit
grid-stop-entry-rejected = the exchange refused the entry order
grid-stop-plan-refused = the grid no longer fits the exchange limits
grid-note-started = 🧮 { $bot }: cycle { $cycle } started at { $price } ({ $levels } levels).
grid-note-filled = 🧮 { $bot }: level { $level } filled, { $qty } at { $price }. Average { $avg }, take-profit { $tp }.
grid-note-completed = 🧮 { $bot }: cycle { $cycle } done ({ $reason }), PnL { $pnl } USDT in { $minutes } min, { $levels } levels.
grid-note-rejected = ⚠️ { $bot }: the exchange refused the { $role } order ({ $code }).
grid-note-stopped = ⏹ { $bot }: grid stopped ({ $reason }).
grid-note-error = ⚠️ { $bot }: { $code }.
grid-note-paused = ⏸ { $bot }: the next cycle waits — { $reason }. The current one is still managed.
