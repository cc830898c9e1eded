// libpng; robust uses only the simplified API (png_image_*), which reports errors through
// return values and never longjmps into Swift frames.
#include <png.h>
