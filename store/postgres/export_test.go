package postgres

// ListDueCardsSQL is the statement ListDueCards runs, for the plan test.
const ListDueCardsSQL = listDueCardsSQL

// HoldingCardsSQL is ListHoldings' read of cards and their sent stages,
// for the plan test.
const HoldingCardsSQL = holdingCardsSQL
