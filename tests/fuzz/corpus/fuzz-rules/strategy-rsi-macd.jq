# rsi-macd: buy when MACD crosses above its signal line while RSI is below 50;
# sell when MACD crosses below its signal line while RSI is above 50.
# ab-signal: --rsi 14 --macd 12,26,9
def ready: .macd != null and .rsi_14 != null;
def buy: $prev != null and ($prev | ready) and ready and .rsi_14 < 50
	and $prev.macd <= $prev.macd_signal and .macd > .macd_signal;
def sell: $prev != null and ($prev | ready) and ready and .rsi_14 > 50
	and $prev.macd >= $prev.macd_signal and .macd < .macd_signal;
