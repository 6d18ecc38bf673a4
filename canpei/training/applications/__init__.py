"""Records of training outside classes: individual applications (subsidy, certificate) with their
workflow, and the federation's own staff training. The pages, the API router and the ledger treat
the two as one topic, so they share selectors, forms and exports here."""
