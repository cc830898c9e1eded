// libjpeg-turbo's TurboJPEG API: errors come back as return values, never through longjmp.
#include <turbojpeg.h>
