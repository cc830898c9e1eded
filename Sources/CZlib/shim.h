// zlib for gzip'd IDX files (inflate with 16 + MAX_WBITS reads the gzip wrapper).
#include <zlib.h>
