"""Official contact options shown to customers; the help center's articles will join them."""
