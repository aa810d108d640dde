"""Credit commitments (信用承诺): sign from templates, fulfilment or breach."""
