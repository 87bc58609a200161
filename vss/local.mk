# vss/: vssd and vssctl.
