// Clang's thread-safety annotations (-Wthread-safety); empty for other compilers.
#pragma once

#if defined(__clang__)
#define FSVC_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define FSVC_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) FSVC_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY FSVC_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) FSVC_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) FSVC_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) FSVC_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define ACQUIRE(...) FSVC_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) FSVC_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) FSVC_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define EXCLUDES(...) FSVC_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
