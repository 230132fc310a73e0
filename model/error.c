/* The MEGA_ERROR domain lives here, in the front-end library, so that the front end can
 * report errors without linking the whole engine; the engine links this library too. */
#include "mega.h"

G_DEFINE_QUARK (mega-error-quark, mega_error)
