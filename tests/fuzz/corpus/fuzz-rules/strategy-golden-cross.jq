# golden-cross: buy when the 50-candle SMA crosses above the 200-candle SMA,
# sell when it crosses back below. $prev is the previous annotated candle of
# the same series (null on the first one).
# ab-signal: --sma 50 --sma 200
def ready: .sma_50 != null and .sma_200 != null;
def buy: $prev != null and ($prev | ready) and ready
	and $prev.sma_50 <= $prev.sma_200 and .sma_50 > .sma_200;
def sell: $prev != null and ($prev | ready) and ready
	and $prev.sma_50 >= $prev.sma_200 and .sma_50 < .sma_200;
