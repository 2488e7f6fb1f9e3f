# stoch-oversold: buy when %K crosses above %D below 20, sell when %K crosses
# below %D above 80.
# ab-signal: --stoch 14,3,3
def ready: .stoch_k != null;
def buy: $prev != null and ($prev | ready) and ready and .stoch_k < 20
	and $prev.stoch_k <= $prev.stoch_d and .stoch_k > .stoch_d;
def sell: $prev != null and ($prev | ready) and ready and .stoch_k > 80
	and $prev.stoch_k >= $prev.stoch_d and .stoch_k < .stoch_d;
