/* fuzz-orders-kraken: ab-order's kraken answer parsers (cmd/ab-order/exchanges/kraken.c)
 * on any answer; the harness is tests/fuzz/orders.h. */
#define _GNU_SOURCE /* memmem */
#include "../../cmd/ab-order/venue.c"
#include "../../cmd/ab-order/exchanges/kraken.c"
#define VENUE venue_kraken
#include "orders.h"
