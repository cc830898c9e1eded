import Dispatch

/// Busy-waits through `range`'s units: 30 µs each below `costlyBelow`, 5 µs above. Work whose cost
/// depends on where a thread's share falls, so the thread pool measures its threads as unequally fast
/// and sizes the next shares unequally (`ExecutionContext.forEachShare`).
public func spinUnevenly(_ range: Range<Int>, costlyBelow: Int) {
    for unit in range {
        let end = DispatchTime.now().uptimeNanoseconds + (unit < costlyBelow ? 30_000 : 5_000)
        while DispatchTime.now().uptimeNanoseconds < end {}
    }
}
