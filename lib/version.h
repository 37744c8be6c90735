/* The one version string: the CLI prints it, the result cache keys on it. */
#ifndef SR_VERSION_H
#define SR_VERSION_H

#define SANDRUN_VERSION "0.1.0"

#endif
