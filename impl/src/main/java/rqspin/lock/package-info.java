/**
 * rqspinlock, the resilient queued spin lock of Linux 6.15+ (kernel/bpf/rqspinlock.c),
 * in Java: {@link rqspin.lock.RqSpinLock}, its baseline {@link rqspin.lock.QSpinLock},
 * and the CPUs ({@link rqspin.lock.Machine}, {@link rqspin.lock.Cpu}) and clocks they run on.
 */
package rqspin.lock;
