package postgres

// ListDueCardsSQL is the statement ListDueCards runs, for the plan test.
const ListDueCardsSQL = listDueCardsSQL
