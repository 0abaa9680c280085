package postgres

// ListDueCardsSQL is the statement ListDueCards runs, for the plan test.
const ListDueCardsSQL = listDueCardsSQL

// ListHoldings' reads of residents, contacts, and cards with their sent
// stages, for the plan test.
var (
	HoldingResidentsSQL = holdingResidentsSQL
	HoldingContactsSQL  = holdingContactsSQL
	HoldingCardsSQL     = holdingCardsSQL
)
