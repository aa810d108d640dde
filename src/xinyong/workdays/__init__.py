"""The holiday table (法定节假日与调休) behind working-day deadlines (DOMAIN.md decision 3)."""
