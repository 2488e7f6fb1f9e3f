-- 009 optimize rules: sweeps of jq-rule strategies and their live parameters.
-- rules is a JSON object {"indicators": "--rsi 14 ...", "buy": JQ, "sell": JQ}
-- (buy or sell null when absent): the indicator options the rules' candles
-- carry and the rule texts as compiled (a strategy file's whole text wrapped
-- as ab-signal wraps it), so a run can be reproduced and applied after the
-- file changes. NULL for a built-in strategy.
ALTER TABLE optimizations ADD COLUMN rules TEXT;
ALTER TABLE strategy_params ADD COLUMN rules TEXT;
