## Commands
cmd-start = Старт
    .description = Начало и главное меню
cmd-connect = Подключить
    .description = Подключить биржевой аккаунт
cmd-accounts = Аккаунты
    .description = Ваши биржевые аккаунты
cmd-sources = Источники
    .description = Каналы с сигналами и подписки
cmd-settings = Настройки
    .description = Риск и параметры торговли
cmd-positions = Позиции
    .description = Открытые позиции
cmd-orders = Ордера
    .description = Открытые ордера
cmd-balance = Баланс
    .description = Балансы аккаунтов
cmd-close = Закрыть
    .description = Закрыть позицию: /close BTC
cmd-trade = Сделка
    .description = Открыть сделку вручную
cmd-stats = Статистика
    .description = Статистика торговли
cmd-daily = По дням
    .description = Результаты по дням
cmd-parse = Разбор
    .description = Как бот понимает текст
cmd-language = Язык
    .description = Сменить язык
cmd-help = Помощь
    .description = Что умеет бот
cmd-cancel = Отмена
    .description = Отменить текущий шаг
cmd-license = Лицензия
    .description = Состояние вашей лицензии
cmd-admin = Админ
    .description = Администрирование (только для администраторов)

## Start
start-greeting = Привет, { $name }! 👋
start-about = Я копирую торговые сигналы из Telegram-каналов на ваш аккаунт Bybit или HyperLiquid с вашими настройками риска.
    Начните с Paper-аккаунта: там всё работает без ключей.
menu-title = Главное меню
btn-menu-accounts = 🔑 Аккаунты
btn-menu-sources = 📡 Сигналы
btn-menu-settings = ⚙️ Настройки
btn-menu-positions = 📊 Позиции
btn-menu-stats = 📈 Статистика
btn-menu-help = ❓ Помощь
btn-back-menu = « Меню
btn-back = « Назад
btn-cancel = Отмена
cancelled = Отменено.
help-text = <b>Что я умею</b>
    /connect — подключить Bybit или HyperLiquid (или торговать на Paper)
    /accounts — аккаунты: основной, переименовать, удалить
    /sources — каналы с сигналами: подписка, авто или подтверждение, свои настройки
    /settings — объём, плечо, стопы, цели, лимиты
    /positions, /orders, /balance — что сейчас открыто
    /close BTC — закрыть позицию
    /trade — открыть сделку вручную
    /stats, /daily — результаты
    /grid — сеточные (DCA) боты
    /license — ваша лицензия
    /parse текст — как я понимаю сигнал
    Чтобы добавить канал как источник, сделайте меня в нём администратором. Перешлите мне пост, чтобы посмотреть, как я его исполню.
unknown-command = Я не знаю команду { $command }. Вот что я умею: /help
unknown-text = Не понял. Воспользуйтесь меню или /help.
secret-deleted = Это похоже на ключ, поэтому я удалил сообщение. Чтобы подключить биржу, используйте /connect.
secret-delete-failed = Это похоже на ключ, но я не смог удалить сообщение: удалите его сами, а если это настоящий ключ, замените его на бирже.
button-expired = Эта кнопка уже не действует.
flood-slow-down = Слишком много запросов, помедленнее, пожалуйста.

## Language
language-choose = Выберите язык:
language-changed = Язык изменён: русский.
language-name-en = English
language-name-ru = Русский

## Accounts
accounts-title = <b>Ваши аккаунты</b>
accounts-hint = ⭐ — основной аккаунт: на нём исполняются сигналы и ручные сделки.
accounts-is-default = Это ваш основной аккаунт.
accounts-paper-note = Бумажная торговля: ордера исполняются на реальных котировках, но понарошку — без ключей и без риска.
accounts-status-active = активен
accounts-status-invalid = ⚠️ ключи недействительны
accounts-status-removed = удалён
accounts-default-set = Основной аккаунт изменён.
accounts-remove-confirm = Удалить аккаунт <b>{ $label }</b>? Его ключи будут стёрты.
accounts-removed = Аккаунт удалён, ключи стёрты.
accounts-ask-label = Пришлите новое название аккаунта (до 32 символов).
accounts-renamed = Новое название: <b>{ $label }</b>.
btn-accounts-connect = ➕ Подключить биржу
btn-accounts-default = ⭐ Сделать основным
btn-accounts-rename = ✏️ Переименовать
btn-accounts-remove = 🗑 Удалить
btn-accounts-remove-confirm = Да, удалить

## Connect
connect-choose-exchange = Какую биржу подключаем?
connect-choose-environment = { $exchange }: какое окружение?
env-mainnet = Mainnet
env-testnet = Testnet
env-demo = Demo
connect-ask-api-key = Пришлите <b>API-ключ</b>. Создайте его только с правом торговли деривативами, без вывода средств, и по возможности привяжите к IP.
connect-ask-api-secret = Ключ получен. Теперь пришлите <b>API secret</b>.
connect-ask-wallet = Пришлите <b>адрес кошелька</b> (0x…).
connect-ask-private-key = Теперь пришлите <b>приватный ключ API-кошелька</b>, одобренного для этого адреса (не ключ основного кошелька).
connect-secret-note = 🔒 Каждое сообщение с ключом я сразу удаляю, а ключи храню только в зашифрованном виде.
connect-checking = ⏳ Проверяю ключи…
connect-success = ✅ Подключено: <b>{ $label }</b>
connect-key-hint = Ключ: <code>{ $hint }</code>
connect-balance = Баланс: { $total } { $currency } (свободно { $free })
connect-warn-ip = ⚠️ Ключ не привязан к IP-адресу. Bybit удаляет такие ключи через 90 дней — привяжите его к IP сервера, чтобы он продолжал работать.
connect-warn-expires = Срок действия ключа истекает { $date }.
connect-failed = ❌ Подключить не удалось.
connect-nothing-stored = Ничего не сохранено. Попробуйте ещё раз: /connect.
connect-cancelled = Подключение отменено, ничего не сохранено.
btn-connect-retry = Попробовать ещё раз

## Sources
sources-title = <b>Источники сигналов</b>
sources-empty = Источников пока нет. Сделайте меня администратором канала с сигналами — и он появится здесь.
sources-subscribed = ✅ Подписка, режим: { $mode }
sources-not-subscribed = Без подписки
sources-mode-auto = авто
sources-mode-confirm = с подтверждением
sources-overrides-count = Своих настроек для источника: { $count }
sources-paused = ⏸ На паузе: я больше не администратор канала.
sources-added-notice = 📡 Канал <b>{ $title }</b> стал источником сигналов, и вы на него подписаны (режим «авто»). Изменить можно в /sources.
sources-removed-notice = ⏸ Я больше не администратор канала <b>{ $title }</b>: его сигналы на паузе.
sources-subscribed-toast = Подписка оформлена
sources-unsubscribed-toast = Подписка отменена
btn-sources-subscribe = ✅ Подписаться
btn-sources-unsubscribe = 🚫 Отписаться
btn-sources-mode = Режим: { $mode }
btn-sources-overrides = ⚙️ Настройки для источника

## Signals
parse-usage = Отправьте /parse и текст сигнала.
parse-signal = ✅ Торговый сигнал:
parse-none = ❌ Это не торговый сигнал.
parse-reason = Причина: { $reason }
parse-update = 🔄 Обновление к прошлому сигналу: { $action }
parse-symbol = Монета: { $symbol }
parse-breakeven = Стоп в безубыток
parse-warnings = Замечания: { $warnings }
parse-action-close = закрыть
parse-action-cancel = отменить
parse-action-move-sl = перенести стоп
parse-action-tp-hit = цель достигнута
parse-action-sl-hit = сработал стоп
parse-action-other = другое
parse-reason-empty-message = пустое сообщение
parse-reason-message-too-long = сообщение слишком длинное
parse-reason-educational = обучающий пост
parse-reason-promotion = реклама
parse-reason-results-recap = сводка результатов
parse-reason-news = новость
parse-reason-commentary = обзор рынка
parse-reason-no-symbol = не найдена монета
parse-reason-multiple-symbols = несколько монет в одном посте
parse-reason-conflicting-sides = и лонг, и шорт одновременно
parse-reason-no-entry = нет цены входа
parse-reason-no-stop-loss-or-take-profit = нет ни стоп-лосса, ни тейк-профита
parse-reason-no-side = не указано направление (лонг или шорт)
parse-reason-stop-loss-on-the-wrong-side-of-entry = стоп-лосс не с той стороны от входа
parse-reason-take-profit-on-the-wrong-side-of-entry = тейк-профит не с той стороны от входа
parse-reason-inconsistent-prices = цены не согласуются между собой
forward-no-text = В этом посте нет текста, который я мог бы прочитать.
forward-not-signal = Этот пост — не торговый сигнал, ничего делать не буду.
forward-is-update = это обновление к прошлому сигналу; такие обновления применяются к сделкам из каналов, на которые вы подписаны
forward-preview-title = 📨 <b>Предпросмотр сигнала</b>
forward-from-source = Источник: { $title }
forward-refused = ⚠️ Сделка не будет открыта: { $reason }
preview-executed = ✅ Отправлено (сделка #{ $id }).
preview-ignored = Пропущено.
preview-already-executed = ℹ️ Уже исполнено: по этому посту есть сделка #{ $id }; ничего нового не отправлено.
btn-preview-execute = ✅ Исполнить
btn-preview-ignore = ✖ Пропустить
btn-preview-subscribe = 📡 Подписаться на канал
plan-entry-market = по рынку
plan-entries = Вход: { $entries }
plan-size = Объём: { $quantity } (маржа { $margin } USDT)
plan-stop = Стоп-лосс: { $sl }
plan-targets = Цели: { $tps }
plan-signal-entries = Зона входа по сигналу: { $entries }
plan-warn-entries-merged = Часть ордеров на вход была меньше минимума биржи и объединена в меньшее число ордеров.
plan-warn-default-stop = В сигнале нет стоп-лосса: используется ваш стоп-лосс по умолчанию.
plan-warn-no-targets = Нет целей тейк-профита: позиция закроется только по стоп-лоссу или вами.
plan-warn-other = Замечание к плану: { $code }
side-long = 🟢 LONG
side-short = 🔴 SHORT

## Refusals
refusal-max-trades = достигнут лимит открытых сделок
refusal-max-exposure = достигнут лимит общей маржи
refusal-one-per-symbol = по этой монете уже есть сделка
refusal-daily-loss = достигнут дневной лимит убытка
refusal-cooldown = пауза после стоп-лосса по этой монете
refusal-signal-too-old = сигнал устарел
refusal-no-stop = в сигнале нет стоп-лосса
refusal-invalid-stop = стоп-лосс некорректен
refusal-no-targets = нет целей
refusal-below-min-size = объём меньше минимального на бирже
refusal-market-not-found = на бирже нет такого рынка
refusal-insufficient-balance = недостаточно средств
refusal-no-account = нет биржевого аккаунта
refusal-account-unavailable = аккаунт недоступен
refusal-exchange-error = биржа вернула ошибку
refusal-not-a-signal = это не торговый сигнал
refusal-entry-gate = новые сделки приостановлены
refusal-same-symbol-open = на этом аккаунте уже есть сделка или сетка по этой монете
refusal-gate-kill-switch = администраторы приостановили новые сделки для всех
refusal-gate-unknown-user = вы не зарегистрированы
refusal-gate-user-blocked = ваш доступ заблокирован
refusal-gate-user-pending = ваш доступ ещё не одобрен
refusal-gate-user-inactive = ваш аккаунт неактивен
refusal-gate-paused-by-user = вы приостановили торговлю
refusal-gate-license-expired = срок вашей лицензии истёк (/license)
refusal-gate-license-none = для новых сделок нужна лицензия (/license)
refusal-gate-source-paused = владелец источника приостановил его

## Settings
settings-title = <b>⚙️ Настройки</b>
settings-hint = Выберите раздел. Кнопки переключают значения, числа вводятся сообщением.
settings-overrides-title = <b>⚙️ Настройки для { $title }</b>
settings-overrides-cleared = Собственные настройки источника сброшены.
settings-group-size = 💰 Объём и плечо
settings-group-entries = 🎯 Входы, цели, стопы
settings-group-risk = 🛡 Лимиты
settings-group-notify = 🔔 Уведомления и язык
settings-item-size-mode = Расчёт объёма
settings-item-size-value = Объём
settings-item-leverage-mode = Плечо
settings-item-leverage = Фиксированное плечо
settings-item-max-leverage = Максимальное плечо
settings-item-margin-mode = Маржа
settings-item-entry-mode = Вход
settings-item-entry-timeout-min = Ожидание входа, мин
settings-item-tp-split = Распределение по целям
settings-item-stop-policy = Стоп-лосс
settings-item-default-stop-pct = Стоп по умолчанию
settings-item-breakeven-after-tp = Безубыток после цели
settings-item-trailing-pct = Трейлинг-стоп
settings-item-max-trades = Макс. сделок
settings-item-max-exposure-usdt = Макс. маржа, USDT
settings-item-daily-loss-limit-usdt = Дневной лимит убытка, USDT
settings-item-follow-updates = Следовать обновлениям канала
settings-item-notify-fills = Уведомления об исполнении
settings-item-notify-daily = Итоги дня
settings-item-language = Язык
settings-opt-fixed = фиксированный
settings-opt-balance-pct = % от баланса
settings-opt-risk-pct = % риска
settings-opt-signal = из сигнала
settings-opt-isolated = изолированная
settings-opt-cross = кросс
settings-opt-market = по рынку
settings-opt-signal-or-default = из сигнала или по умолчанию
settings-opt-skip-without = пропускать сигналы без стопа
settings-on = вкл
settings-off = выкл
settings-tp-even = поровну
settings-inherited = { $value } (общая)
settings-ask-number = Пришлите число от { $min } до { $max }.
settings-ask-list = Пришлите доли в процентах через пробел, например <code>50 30 20</code>, или <code>поровну</code>.
settings-saved = ✅ Сохранено: { $name }
settings-error-not-number = Это не число.
settings-error-not-integer = Нужно целое число.
settings-error-range = Значение должно быть от { $min } до { $max }.
settings-error-list = Пришлите положительные числа через пробел (не больше 10) или <code>поровну</code>.
settings-error-leverage-cap = Плечо выше вашего максимума { $max }x. Сначала увеличьте максимум.
settings-error-cap-below = Максимум ниже вашего фиксированного плеча { $leverage }x.
settings-error-invalid = Такое значение недопустимо.
btn-settings-inherit = Брать общее значение
btn-settings-reset-overrides = ♻️ Вернуть общие настройки

## Trading
positions-empty = Открытых позиций нет.
positions-title = Открытых позиций: { $count }
positions-more = …и ещё { $count }.
positions-line-size = Объём { $quantity } · вход { $entry } · маркировка { $mark }
positions-line-pnl = Нереализованный PnL: { $pnl } USDT
positions-line-protection = SL { $sl } · TP { $tp }
positions-none = нет
positions-closing = Закрываю…
positions-closed = ✅ { $symbol }: закрыто { $quantity } по { $price }.
positions-closed-pnl = Реализованный PnL: { $pnl } USDT
positions-breakeven-done = Стоп перенесён в безубыток: { $price }
btn-positions-close-all = Закрыть 100%
btn-positions-close-half = Закрыть 50%
btn-positions-breakeven = 🛡 Стоп в безубыток
orders-empty = Открытых ордеров нет.
orders-title = <b>Открытые ордера</b>
orders-buy = покупка
orders-sell = продажа
orders-market = по рынку
orders-trigger = триггер
orders-more = …и ещё { $count }.
balance-title = <b>Балансы</b>
balance-line = { $total } { $currency } (свободно { $free }, занято { $used })
balance-unavailable = недоступен ({ $code })
close-usage = Какую позицию закрыть? Например: <code>/close BTC</code>
trade-ask-symbol = Ручная сделка на <b>{ $account }</b>. Какая монета? Например, <code>BTC</code> или <code>ETH/USDT</code>.
trade-bad-symbol = Не похоже на монету. Пришлите, например, <code>BTC</code>.
trade-ask-side = { $symbol }: лонг или шорт?
trade-ask-margin = { $symbol } { $side }: сколько маржи в USDT? Выберите или введите число.
trade-bad-margin = Пришлите положительное число USDT, например <code>25</code>.
trade-confirm = <b>Подтвердите сделку</b>
trade-opened = ✅ Сделка #{ $id } по { $symbol } отправлена.
trade-cancelled = Сделка отменена.
trade-expired = Черновик сделки устарел. Начните заново: /trade.
trade-already-confirmed = Эта сделка уже отправлена.
btn-trade-long = 🟢 Лонг
btn-trade-short = 🔴 Шорт
btn-trade-my-size = По моим настройкам
btn-trade-confirm = ✅ Подтвердить

## Stats
stats-title = <b>📈 Статистика: { $period }</b>
stats-period-day = сегодня
stats-period-week = 7 дней
stats-period-month = 30 дней
stats-period-all = всё время
stats-empty = За этот период закрытых сделок нет.
stats-pnl = Реализованный PnL: <b>{ $pnl } USDT</b>
stats-trades = Сделок: { $trades } (в плюс { $wins }, в минус { $losses })
stats-winrate = Доля прибыльных: { $rate }
stats-profit-factor = Профит-фактор: { $pf }
stats-drawdown = Макс. просадка: { $dd } USDT
stats-fees = Комиссии: { $fees } USDT
stats-by-source = <b>По источникам</b>
stats-by-symbol = <b>По монетам</b>
stats-manual = ручные сделки
daily-title = <b>📅 По дням (UTC)</b>
daily-trades = сделок: { $trades }, в плюс: { $wins }

## Notifications
notify-burst = 🔔 Обновлений: { $count }
notify-signal-preview = 📨 <b>Новый сигнал</b> (режим подтверждения)
notify-plan-refused = ⏭ { $symbol }: сигнал пропущен — { $reason }.
notify-entry-placed = 🕒 { $symbol } { $side }: ордера на вход выставлены ({ $count }).
notify-trade-opened = ✅ { $symbol } { $side } открыта по { $price }, объём { $quantity }, ×{ $leverage }, SL { $sl }.
notify-entry-filled = ➕ { $symbol }: исполнено { $filled } из { $planned } по { $price }.
notify-entry-first = ✅ { $symbol } { $side } открыта по { $price }, объём { $filled } из { $planned } (остальные входы ещё работают), SL { $sl }.
notify-tp-hit = 🎯 { $symbol }: цель { $index } достигнута по { $price }, осталось { $remaining }.
notify-sl-moved = 🛡 { $symbol }: стоп перенесён на { $price } ({ $why }).
notify-sl-hit = 🛑 { $symbol }: сработал стоп-лосс по { $price }.
notify-trade-closed = 🏁 { $symbol } { $side } закрыта по { $price } ({ $reason }). PnL: <b>{ $pnl } USDT</b>
notify-estimated = (оценка)
notify-trade-cancelled = ✖ { $symbol }: вход отменён ({ $why }).
notify-stop-failed-closed = 🚨 { $symbol }: не удалось поставить стоп-лосс ({ $error }), поэтому позиция закрыта.
notify-protection-failed = ⚠️ { $symbol }: не удалось выставить { $what } ({ $error }).
notify-stop-failed-close-failed = 🚨🚨 <b>СРОЧНО</b> — { $symbol } { $side }: позицию не удалось закрыть ({ $reason }), и <b>её не защищает стоп-лосс</b>. Осталось: { $remaining }. Закройте её на бирже сами прямо сейчас. Ошибка: { $error } (попыток: { $attempts }). Я продолжаю пытаться.
notify-close-incomplete = ⚠️ { $symbol } { $side }: закрытие не завершилось ({ $reason }); осталось { $remaining }, защищено стоп-лоссом на { $sl }. Я продолжаю закрывать.{ $error }
notify-close-incomplete-error = { " " }Ошибка: { $error }.
notify-sl-move-failed = ⚠️ { $symbol }: биржа не дала перенести стоп-лосс на { $price } ({ $error }). { $kept }
notify-sl-kept = Стоп-лосс остаётся на { $price }.
notify-sl-kept-none = <b>Ни один стоп-лосс не подтверждён: проверьте позицию на бирже прямо сейчас.</b>
notify-remaining-unknown = неизвестное количество
notify-discrepancy = ⚠️ { $symbol }: состояние на бирже расходилось с нашим, я его синхронизировал.
notify-error = ⚠️ { $symbol }: { $error }
notify-daily-title = <b>📅 Итоги дня</b>
notify-why-breakeven = безубыток
notify-why-follow-up = обновление канала
notify-why-manual = вами
notify-why-trailing = трейлинг
notify-close-stop-loss = стоп-лосс
notify-close-take-profit = тейк-профит
notify-close-manual = вами
notify-close-follow-up = обновление канала
notify-close-liquidation = ликвидация
notify-close-position-gone = закрыта на бирже
notify-close-stop-failed = не удалось поставить стоп
notify-close-timeout = по времени
notify-cancel-follow-up = обновление канала
notify-cancel-manual = вами
notify-cancel-timeout = не исполнен вовремя
notify-cancel-rejected = отклонён биржей
notify-cancel-never-sent = не был отправлен
notify-what-take-profit = тейк-профит
notify-what-stop-loss = стоп-лосс

## Errors
err-generic = 😔 Что-то пошло не так. Я записал это в журнал; код ошибки: <code>{ $id }</code>.
err-unknown-code = ошибка { $code }
err-internal = Внутренняя ошибка.
err-user-input = Некорректный ввод.
err-validation = Недопустимое значение.
err-config = Бот настроен неправильно.
err-illegal-transition = В текущем состоянии сделки это действие невозможно.
err-vault = Не удалось прочитать сохранённые ключи.
err-vault-decrypt = Не удалось расшифровать сохранённые ключи. Подключите аккаунт заново.
err-exchange = Биржа вернула ошибку.
err-auth-failed = Биржа не приняла ключи: проверьте API-ключ и secret.
err-permission-denied = У ключа нет прав на это действие.
err-insufficient-funds = На аккаунте недостаточно средств.
err-invalid-order-size = Объём ордера вне лимитов биржи.
err-order-rejected = Биржа отклонила ордер.
err-order-not-found = Ордер не найден на бирже.
err-order-state-unknown = Состояние ордера неизвестно; скоро проверю ещё раз.
err-rate-limited = Биржа просит снизить частоту запросов; попробуйте через минуту.
err-exchange-unavailable = Биржа не отвечает; попробуйте позже.
err-circuit-open = Биржа сейчас сбоит, я приостановил запросы к ней; попробуйте через несколько минут.
err-network-timeout = Биржа не ответила вовремя.
err-market-not-found = На бирже нет такого рынка.
err-not-supported = Эта биржа такого не поддерживает.
err-key-can-withdraw = У ключа есть право на вывод средств. Ради вашей безопасности я принимаю только ключи без этого права — создайте новый ключ.
err-key-cannot-trade = Этот ключ не может торговать деривативами (только чтение или не хватает прав).
err-agent-not-approved = Этот приватный ключ не принадлежит API-кошельку, одобренному для адреса.
err-duplicate-key = Этот ключ уже подключён.
err-paper-permanent = Paper-аккаунт удалить нельзя.
err-account-not-found = Аккаунт не найден.
err-account-in-use = На этом аккаунте ещё есть открытые сделки или работающие сетки. Сначала закройте их (или остановите сетки), потом удалите аккаунт.
err-source-not-found = Источник не найден.
err-no-position = Открытой позиции по этой монете нет.
err-preview-expired = Предпросмотр устарел; перешлите пост ещё раз.
err-plan-refused = Не исполнено: { $reason }.

## Admin
admin-not-allowed = Это только для администраторов.
admin-menu = 🛠 <b>Администрирование</b>
    Аварийная остановка: { $kill }
    Заявок на доступ: { $pending }
admin-kill-on = ВКЛЮЧЕНА — новые входы приостановлены для всех
admin-kill-off = выключена
admin-btn-find = 🔎 Найти пользователя
admin-btn-pending = ⏳ Заявки ({ $count })
admin-btn-sources = 📡 Источники
admin-btn-broadcast = 📣 Рассылка
admin-btn-health = 🩺 Состояние
admin-btn-invite = 🎟 Приглашения
admin-btn-kill = 🛑 Аварийная остановка
admin-btn-kill-undo = ▶️ Возобновить входы
admin-btn-back = ◀️ Назад
admin-btn-cancel = ✖️ Отмена
admin-btn-refresh = 🔄 Обновить
admin-find-ask = Пришлите id пользователя, Telegram id или @username.
admin-find-none = Никто не найден по запросу { $query }.
admin-user-card = 👤 <b>Пользователь #{ $id }</b> (Telegram { $tg }, @{ $username })
    Роль: { $role }, статус: { $status }
    { $license }
    <b>Аккаунты</b>
    { $accounts }
    <b>Подписки</b>
    { $subs }
    <b>Открытые сделки</b>
    { $trades }
admin-user-account = • { $exchange } { $env } «{ $label }» { $hint } ({ $status })
admin-user-sub = • { $title } ({ $state })
admin-sub-off = выкл.
admin-user-trade = • #{ $id } { $symbol } { $side } { $qty } @ { $entry } ({ $status })
admin-none = —
admin-btn-approve = ✅ Одобрить
admin-btn-block = ⛔ Заблокировать
admin-btn-unblock = ♻️ Разблокировать
admin-btn-promote = ⭐ Сделать админом
admin-btn-demote = Снять админа
admin-btn-grant-month = 🎫 Выдать 30 дней
admin-btn-extend-days = ➕ { $days } дн.
admin-btn-revoke = ✖️ Отозвать лицензию
admin-done = ✅ Готово.
admin-refused = Невозможно: { $reason }.
admin-pending-none = Заявок на доступ нет.
admin-pending-title = Заявок на доступ: { $count }
admin-pending-item = Заявка #{ $id } — пользователь #{ $user }
admin-sources-title = <b>Источники</b> ({ $count })
admin-source-line = • #{ $id } { $title } — подписчиков: { $subs }, { $visibility }{ $paused }
admin-source-paused = , на паузе
admin-broadcast-target = Кому отправить рассылку?
admin-btn-bc-all = Всем ({ $count })
admin-btn-bc-source = { $title } ({ $count })
admin-broadcast-ask = Пришлите текст рассылки для { $count } пользователей или /cancel.
admin-broadcast-confirm = Отправить это { $count } пользователям?

    { $text }
admin-btn-bc-send = ✅ Отправить
admin-broadcast-started = 📣 Рассылка { $count } пользователям…
admin-broadcast-done = 📣 Рассылка завершена: доставлено { $delivered }, заблокировали бота { $blocked }, ошибок { $failed } (из { $total }).
admin-cancelled = Отменено.
admin-health = 🩺 <b>Состояние</b>
    Аптайм: { $uptime }
    Аварийная остановка: { $kill }
    За час: сигналов { $signals }, ордеров { $orders }, сделок { $trades }, ошибок { $errors }
    Пользователи: активных { $active }, ожидают { $pending }, заблокированы { $blocked }
    Запросов к биржам в очереди: { $queued }
admin-health-breakers = Незакрытых предохранителей: { $count }
admin-health-breaker = • { $key }: { $status } ({ $reason })
admin-health-queue = • очередь { $key }: { $queued }
admin-health-errors = Последние ошибки: { $count }
admin-health-error = • <code>{ $id }</code> { $code } { $at }: { $message }
admin-kill-confirm = 🛑 Приостановить ВСЕ новые входы для всех? Открытые сделки продолжают сопровождаться, ничего не закрывается. Нажмите ещё раз для подтверждения.
admin-btn-kill-confirm = 🛑 Да, остановить входы
admin-kill-set = 🛑 Аварийная остановка ВКЛЮЧЕНА: новых входов нет ни у кого.
admin-kill-undo-confirm = ▶️ Возобновить новые входы для всех? Нажмите ещё раз для подтверждения.
admin-btn-kill-undo-confirm = ▶️ Да, возобновить входы
admin-kill-cleared = ▶️ Аварийная остановка выключена: новые входы снова разрешены.
admin-invites-title = 🎟 Создать код приглашения:
admin-btn-invite-single = Одноразовый, 7 дней
admin-btn-invite-multi = 10 использований, 7 дней
admin-invite-created = 🎟 Код приглашения: <code>{ $code }</code>
    Использований: { $uses }, действует до { $expires }
    Ссылка: { $link }
admin-request-approved = ✅ Заявка #{ $id } одобрена (Telegram { $tg }).
admin-request-rejected = ❌ Заявка #{ $id } отклонена (Telegram { $tg }).
admin-request-decided = Заявка #{ $id } уже рассмотрена: { $status }.
admin-alert-breaker = ⚠️ Сработал предохранитель биржи: { $key } ({ $reason })
admin-alert-errors = ⚠️ { $count } ошибок подряд на аккаунте { $account } (последняя: { $code })
admin-alert-recon = ⚠️ Сверка: { $kind } у пользователя #{ $user } ({ $symbol })
admin-alert-restart = ℹ️ Бот перезапущен (предыдущий запуск: { $previous }).
admin-alert-kill-on = 🛑 Аварийную остановку включил { $by }: новых входов нет.
admin-alert-kill-off = ▶️ Аварийную остановку выключил { $by }.
admin-alert-suppressed = (ещё { $count } оповещений придержано)

## Access
access-blocked = ⛔ Ваш доступ к этому боту заблокирован.
access-need-invite = 🔒 Бот работает по приглашениям. Пришлите код приглашения или попросите доступ у администраторов.
access-btn-request = 🙋 Запросить доступ
access-request-sent = 🙋 Заявка отправлена администраторам. Вы получите сообщение, когда её рассмотрят.
access-pending = ⏳ Ваша заявка ждёт администратора. Можно также прислать код приглашения.
access-request-wait = Ваша прошлая заявка отклонена. Пришлите код приглашения или попробуйте позже.
access-invite-ok = ✅ Добро пожаловать! Код приглашения принят. Отправьте /start, чтобы начать.
access-invite-invalid = Этот код приглашения недействителен.
access-invite-expired = Срок действия кода истёк.
access-invite-used-up = Этот код уже использован максимальное число раз.
access-invite-revoked = Этот код отозван.
access-invite-already-redeemed = Вы уже использовали этот код.
access-approved = ✅ Администратор одобрил доступ. Отправьте /start, чтобы начать.
access-rejected = Ваша заявка на доступ отклонена.
access-admin-request = 🙋 Заявка на доступ #{ $id }
    { $name } (@{ $username }, Telegram { $tg })
access-btn-approve = ✅ Одобрить
access-btn-reject = ❌ Отклонить
license-status-unlimited = 🎫 Лицензия: без ограничений (администратор).
license-status-none = 🎫 У вас нет лицензии.
license-status-active = 🎫 Лицензия действует до { $expires } (осталось дней: { $days }).
license-status-grace = 🎫 Лицензия истекла { $expires }. Новые сделки приостановлены; открытые сделки сопровождаются до { $grace }.
license-status-expired = 🎫 Лицензия истекла { $expires }. Новые сделки приостановлены, открытые сделки бот больше не сопровождает (они остаются на бирже как есть).
license-plan = Тариф: { $plan }
license-expiring = 🎫 Лицензия заканчивается через { $days } дн. ({ $expires }). Попросите администратора продлить её.
license-expired = 🎫 Лицензия истекла. Новые сделки приостановлены. Открытые сделки ({ $trades }) сопровождаются до { $grace }; без вашего решения ничего не закрывается.
license-grace-ended = 🎫 Льготный период закончился. Открытые сделки ({ $trades }) остаются на бирже со стоп-лоссом и целями, но бот их больше не сопровождает. Ничего не закрыто.
license-granted = 🎫 Лицензия продлена на { $days } дн., до { $expires }.

## Grid
cmd-grid = Сетка
    .description = Сеточные (DCA) боты
grid-menu-title = 🧮 Сеточные боты
grid-menu-empty = Сеточных ботов пока нет. Сетка докупает при падении цены (лонг) или росте (шорт) и фиксирует прибыль по всей позиции.
grid-menu-count = Ваши сеточные боты: { $count }
btn-grid-new-long = ➕ Сетка в лонг
btn-grid-new-short = ➕ Сетка в шорт
btn-grid-pause = ⏸ Пауза
btn-grid-resume = ▶️ Продолжить
btn-grid-stop = ⏹ Остановить
btn-grid-stop-final = ⏹ Да, остановить и закрыть
btn-grid-stats = 📊 Статистика
btn-grid-back = ⬅️ Назад
btn-grid-cancel = Отмена
btn-grid-confirm = ✅ Запустить сетку
btn-grid-confirm-no-stop = ⚠️ Запустить без стоп-лосса
btn-grid-confirm-no-stop-final = Понимаю, запустить без стоп-лосса
grid-side-long = лонг
grid-side-short = шорт
grid-off = выкл.
grid-wizard-start = Новая сетка ({ $side }) на { $account }. Ответьте на вопросы; проценты — просто числами.
grid-ask-symbol = Монета (например, BTC или DOGE/USDT)?
grid-ask-deposit = Депозит: сколько USDT маржи может использовать сетка?
grid-ask-leverage = Плечо?
grid-ask-levels = Число уровней сетки (включая рыночный ордер)?
grid-ask-coverage = Перекрытие: % от текущей цены до последнего уровня?
grid-ask-multiplier = Множитель мартингейла (каждый уровень во столько раз больше предыдущего, 1 — равные)?
grid-ask-take-profit = Тейк-профит, % от средней цены входа?
grid-ask-stop-loss = Стоп-лосс, % от средней цены входа? (рекомендуется; «off» — выключить)
grid-ask-pause = Пауза между циклами, в секундах (0 — без паузы)?
grid-ask-max-cycles = Максимум циклов (0 — без ограничения)?
grid-err-range = Значение вне диапазона { $min } … { $max }.
grid-preview-title = Сетка { $symbol } { $side }
grid-preview-price = Текущая цена: { $price }
grid-preview-sizing = Депозит { $deposit } USDT × { $leverage }, базовый объём { $qty }
grid-preview-level = { $index }. { $price } × { $qty } ({ $kind })
grid-level-market = рынок
grid-level-limit = лимит
grid-preview-margin = Маржа при исполнении всех уровней: { $margin } USDT (позиция { $notional } USDT)
grid-preview-full = При полном наборе: средняя { $avg }, тейк-профит { $tp }, стоп-лосс { $sl }
grid-preview-settings = Тейк-профит { $tp }%, стоп-лосс { $sl }, пауза { $pause } с, циклов { $cycles }
grid-preview-balance = Свободный баланс: { $free } USDT
grid-warn-merged = Уровни { $levels } были меньше минимума биржи и объединены со следующим уровнем.
grid-warn-unreachable = Стоп-лосс сработает раньше уровней { $levels }: они не исполнятся.
grid-warn-liquidation = При этом плече позицию ликвидируют примерно в { $pct }% от входа, раньше стоп-лосса.
grid-warn-no-stop = Без стоп-лосса: долгое движение против сетки может забрать весь депозит.
grid-confirm-no-stop = Без стоп-лосса убыток этой сетки ограничивает только ликвидация. Всё равно запустить?
grid-confirm-stop = Остановить сетку #{ $id }? Её ордера будут отменены, позиция закрыта по рынку.
grid-cancelled = Отменено.
grid-created = ✅ Сетка запущена.
grid-status-running = работает
grid-status-paused = на паузе
grid-status-stopping = останавливается
grid-status-stopped = остановлена
grid-bot-cycles = Циклов: { $cycles }, PnL { $pnl } USDT
grid-bot-position = Цикл { $cycle }: { $qty } по { $avg } ({ $filled }/{ $levels } уровней), тейк-профит { $tp }, стоп-лосс { $sl }
grid-bot-waiting = Ожидание следующего цикла.
grid-bot-error = Последняя попытка не удалась ({ $code }); повторяю.
grid-bot-paused = ⏸ Новые циклы ждут: { $reason }.
grid-err-below-minimum = Первый ордер меньше минимума биржи. Нужен депозит не меньше { $deposit } USDT, или меньше уровней, или меньший множитель.
grid-err-symbol-busy = По { $symbol } на этом счёте уже есть сетка или открытая сделка.
grid-err-balance = Недостаточно свободного баланса: сетке нужно { $required } USDT, свободно { $free } USDT.
grid-err-leverage = Биржа допускает не больше × { $max } на этой монете.
grid-err-invalid = Недопустимое значение { $field }.
grid-err-expired = Предпросмотр устарел; начните заново с /grid.
grid-err-no-account = Сначала подключите счёт биржи (/connect).
grid-err-paused = Новую сетку сейчас запустить нельзя: { $reason }.
grid-stats-title = Статистика сетки #{ $id }
grid-stats-cycles = Циклов: { $cycles } (тейк-профит { $tp }, стоп-лосс { $sl }, прочие { $other })
grid-stats-pnl = PnL { $pnl } USDT, комиссии { $fees } USDT
grid-stats-avg-time = Средний цикл: { $minutes } мин
grid-stats-cycle = #{ $cycle } { $reason }: { $pnl } USDT, уровней { $levels }
grid-reason-take-profit = тейк-профит
grid-reason-stop-loss = стоп-лосс
grid-reason-manual = остановлен вами
grid-reason-external = закрыт на бирже
grid-reason-aborted = не открыт
grid-stop-manual = остановлена вами
grid-stop-max-cycles = все циклы выполнены
grid-stop-stop-loss = сработал стоп-лосс
grid-stop-entry-rejected = биржа отклонила входной ордер
grid-stop-plan-refused = сетка больше не проходит по лимитам биржи
grid-note-started = 🧮 { $bot }: цикл { $cycle } начат по { $price } ({ $levels } уровней).
grid-note-filled = 🧮 { $bot }: исполнен уровень { $level }, { $qty } по { $price }. Средняя { $avg }, тейк-профит { $tp }.
grid-note-completed = 🧮 { $bot }: цикл { $cycle } завершён ({ $reason }), PnL { $pnl } USDT за { $minutes } мин, уровней { $levels }.
grid-note-rejected = ⚠️ { $bot }: биржа отклонила ордер { $role } ({ $code }).
grid-note-stopped = ⏹ { $bot }: сетка остановлена ({ $reason }).
grid-note-error = ⚠️ { $bot }: { $code }.
grid-note-paused = ⏸ { $bot }: следующий цикл ждёт — { $reason }. Текущий по-прежнему сопровождается.
