import CCurl
import Foundation

/// The HTTP transport over libcurl's easy interface. Transfers block, so they run on threads of their own (a
/// transfer thread, or the `TransferLane` the calling task runs on), never on Swift's cooperative pool (nor on
/// Dispatch's, which grows slowly when its threads block: a streamed copy blocks one transfer on another). Each
/// thread owns one easy handle and reuses it, so connections, DNS and TLS sessions are kept alive and no handle
/// is ever used by two threads at once.
public final class CurlTransport: HTTPTransport {
    /// Timeouts and TLS settings applied to every transfer.
    public struct Options: Sendable, Hashable {
        /// Give up connecting after this long (CURLOPT_CONNECTTIMEOUT_MS).
        public var connectTimeoutMilliseconds = 10_000
        /// Abort a transfer that moves less than one byte a second for this long (CURLOPT_LOW_SPEED_TIME): stall
        /// detection that never limits a long but live copy.
        public var stallSeconds = 60
        /// A CA bundle to trust instead of the system's (`AWS_CA_BUNDLE`); verification stays on either way.
        public var caBundle: String?
        /// A proxy URL for every request (CURLOPT_PROXY) instead of the environment's `http_proxy`, `https_proxy`
        /// and `all_proxy`, which libcurl reads otherwise; requests that bypass proxies (`HTTPRequest.bypassesProxy`)
        /// ignore both.
        public var proxy: String?
        /// The defaults above.
        public init() {}
    }

    private let options: Options
    /// Threads for blocking transfers, each with its own easy handle. A job never waits for a busy thread: when no
    /// thread is idle a new one starts, so the threads grow to the number of transfers in flight and then stay.
    private let threads = ThreadQueue<@Sendable (EasyHandle) -> Void>(name: "s3backup-xfer") { next in
        let handle = EasyHandle()
        while let job = next() { job(handle) }
    }

    /// A transport with `options`; libcurl's global state is initialised once per process, before any transfer.
    public init(options: Options = Options()) {
        EasyHandle.initializeLibcurl()
        self.options = options
    }

    /// The process's transport for `options`: every client with the same options shares its threads, handles and
    /// their kept-alive connections, however many clients a process makes.
    public static func shared(options: Options) -> CurlTransport {
        sharedTransports.mutate { transports in
            if let known = transports[options] { return known }
            let transport = CurlTransport(options: options)
            transports[options] = transport
            return transport
        }
    }

    private static let sharedTransports = LockedBox<[Options: CurlTransport]>([:])

    /// Performs `request` on this thread when the task entered a `TransferLane` and the exchange stays in memory
    /// (the lane decides: `TransferLane.handle(for:)`), else on a transfer thread.
    public func perform(_ request: HTTPRequest) async throws -> HTTPResponse {
        let options = options
        if let handle = TransferLane.handle(for: request) {
            return try handle.perform(request, options: options)
        }
        return try await withCheckedThrowingContinuation { continuation in
            threads.submit { handle in continuation.resume(with: Result { try handle.perform(request, options: options) }) }
        }
    }
}

/// One libcurl easy handle and its error buffer.
/// `@unchecked Sendable`: a handle belongs to one thread, a transfer thread or a `TransferLane`'s (which gives it
/// only to callers on that thread), so no two threads ever touch it at once.
final class EasyHandle: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))

    init() {
        EasyHandle.initializeLibcurl()
        guard let handle = curl_easy_init() else { preconditionFailure("curl_easy_init failed: out of memory") }
        self.handle = handle
    }

    /// Runs curl_global_init the first time any module of the process asks (S3 here, Mail for its handles): one
    /// once-guard for the process, in shim.h. It must run before any other thread uses libcurl.
    /// https://curl.se/libcurl/c/curl_global_init.html
    static func initializeLibcurl() {
        let code = s3b_global_init()
        precondition(code == CURLE_OK, "curl_global_init failed: \(code.rawValue)")
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    func perform(_ request: HTTPRequest, options: CurlTransport.Options) throws -> HTTPResponse {
        // Reset clears options but keeps the connection cache: https://curl.se/libcurl/c/curl_easy_reset.html
        curl_easy_reset(handle)
        errorBuffer[0] = 0
        // The last line of defence for every request, credential requests included; S3Client checks earlier, with
        // the request's context.
        do {
            try HeaderCheck.validate(request.headers)
        } catch let refusal as S3Error {
            throw TransportError(code: Int(CURLE_BAD_FUNCTION_ARGUMENT.rawValue), message: refusal.message, underlying: refusal)
        }
        let context: TransferContext
        do {
            context = TransferContext(sink: request.sink, source: request.body, reader: try request.body?.makeReader(),
                                      maxBodyBytes: request.maxBodyBytes, timeLimit: request.timeLimit)
        } catch {
            throw TransportError(code: Int(CURLE_READ_ERROR.rawValue), message: "cannot read the body", underlying: SendableError(error))
        }
        let contextPointer = Unmanaged.passUnretained(context).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }

        try set(CURLOPT_URL, request.url)
        // Keys may hold `.` and `..` segments that must reach S3 verbatim.
        try set(CURLOPT_PATH_AS_IS, 1)
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_TCP_KEEPALIVE, 1)
        try set(CURLOPT_CONNECTTIMEOUT_MS, options.connectTimeoutMilliseconds)
        try set(CURLOPT_LOW_SPEED_LIMIT, 1)
        try set(CURLOPT_LOW_SPEED_TIME, options.stallSeconds)
        if let timeout = request.timeoutMilliseconds { try set(CURLOPT_TIMEOUT_MS, timeout) }
        if let bundle = options.caBundle {
            // The bundle replaces the system's CAs, as AWS_CA_BUNDLE does for the AWS CLI. Debian's libcurl also
            // reads a CA directory (/etc/ssl/certs), so that is switched off. https://curl.se/libcurl/c/CURLOPT_CAPATH.html
            try set(CURLOPT_CAINFO, bundle)
            try check(s3b_setopt_pointer(handle, CURLOPT_CAPATH, nil))
        }
        if let proxy = options.proxy { try set(CURLOPT_PROXY, proxy) }
        // "*" matches every host: this request goes direct whatever the proxy settings or environment say.
        // https://curl.se/libcurl/c/CURLOPT_NOPROXY.html
        if request.bypassesProxy { try set(CURLOPT_NOPROXY, "*") }
        if request.timeLimit != nil {
            // Called about once a second even while nothing moves, so a trickle is measured too; a non-zero return
            // aborts with CURLE_ABORTED_BY_CALLBACK. https://curl.se/libcurl/c/CURLOPT_XFERINFOFUNCTION.html
            try set(CURLOPT_NOPROGRESS, 0)
            try check(s3b_setopt_progress_callback(handle, onProgress))
            try check(s3b_setopt_pointer(handle, CURLOPT_XFERINFODATA, contextPointer))
        }
        try check(s3b_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        try check(s3b_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, onHeader))
        try check(s3b_setopt_pointer(handle, CURLOPT_HEADERDATA, contextPointer))
        try check(s3b_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, onData))
        try check(s3b_setopt_pointer(handle, CURLOPT_WRITEDATA, contextPointer))

        let bodyLength = request.body?.count ?? 0
        switch request.method {
        case "GET": try set(CURLOPT_HTTPGET, 1)
        case "HEAD": try set(CURLOPT_NOBODY, 1)
        case "PUT":
            // UPLOAD with a known size sends Content-Length (even 0, which CopyObject needs).
            try set(CURLOPT_UPLOAD, 1)
            try check(s3b_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(bodyLength)))
        case "POST":
            try set(CURLOPT_POST, 1)
            try check(s3b_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyLength)))
        default:
            try set(CURLOPT_CUSTOMREQUEST, request.method)
        }
        if request.body != nil {
            try check(s3b_setopt_data_callback(handle, CURLOPT_READFUNCTION, onRead))
            try check(s3b_setopt_pointer(handle, CURLOPT_READDATA, contextPointer))
            // libcurl rewinds the body when it resends on a fresh connection (a kept-alive one closed under it).
            try check(s3b_setopt_seek_callback(handle, onSeek))
            try check(s3b_setopt_pointer(handle, CURLOPT_SEEKDATA, contextPointer))
            // A bigger buffer means fewer read callbacks for big bodies; small ones keep libcurl's 64 KiB.
            if bodyLength > 1 << 20 { try set(CURLOPT_UPLOAD_BUFFERSIZE, 512 * 1024) }
        }

        // "Name:" would remove the header; "Name;" sends it with an empty value (a signed header must go out).
        var lines = request.headers.map { $0.1.isEmpty ? "\($0.0);" : "\($0.0): \($0.1)" }
        // libcurl's default POST type is a form type, whose body moto's server silently drops: never send it.
        if request.method == "POST" || request.method == "PUT", !request.headers.contains(where: { $0.0.utf8.count == 12 && $0.0.lowercased() == "content-type" }) {
            lines.append("Content-Type:")
        }
        // 100-continue lets S3 refuse a large upload before it is sent; for small bodies it only costs a round trip.
        if bodyLength <= 1 << 20 { lines.append("Expect:") }
        for line in lines {
            guard let appended = curl_slist_append(headerList, line) else { preconditionFailure("curl_slist_append") }
            headerList = appended
        }
        try check(s3b_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList))

        let code = curl_easy_perform(handle)
        if code != CURLE_OK {
            if let limit = context.failure as? TransferLimitExceeded {
                throw TransportError(code: Int(code.rawValue), message: limit.description, underlying: limit)
            }
            throw transportError(code, underlying: context.failure)
        }
        var status = 0
        _ = s3b_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        do {
            try context.finish(status: status)
        } catch {
            throw TransportError(code: Int(CURLE_WRITE_ERROR.rawValue), message: "cannot complete the body", underlying: SendableError(error))
        }
        return HTTPResponse(status: status, headers: context.headers, body: context.body)
    }

    private func set(_ option: CURLoption, _ value: Int) throws { try check(s3b_setopt_long(handle, option, value)) }
    private func set(_ option: CURLoption, _ value: String) throws { try check(s3b_setopt_string(handle, option, value)) }

    private func check(_ code: CURLcode) throws {
        if code != CURLE_OK { throw transportError(code, underlying: nil) }
    }

    private func transportError(_ code: CURLcode, underlying: (any Error & Sendable)?) -> TransportError {
        let detail = String(cString: errorBuffer)
        var message = String(cString: curl_easy_strerror(code))
        if !detail.isEmpty, detail != message { message += ": \(detail)" }
        return TransportError(code: Int(code.rawValue), message: message, underlying: underlying)
    }
}

/// What one transfer accumulates; used only on the thread that runs the transfer.
private final class TransferContext {
    let sink: (any BodySink)?
    let source: (any BodySource)?
    var reader: (any BodyReader)?
    var writer: (any BodyWriter)?
    var status = 0
    /// Room for a typical S3 response's headers from the start, so inserting them never rehashes.
    var headers = [String: String](minimumCapacity: 24)
    var body: [UInt8] = []
    var failure: (any Error & Sendable)?
    let maxBodyBytes: Int
    let timeLimit: RequestTimeLimit?
    let started = ContinuousClock.now

    init(sink: (any BodySink)?, source: (any BodySource)?, reader: (any BodyReader)?, maxBodyBytes: Int,
         timeLimit: RequestTimeLimit?) {
        self.sink = sink
        self.source = source
        self.reader = reader
        self.maxBodyBytes = maxBodyBytes
        self.timeLimit = timeLimit
    }

    /// Restarts the body at `offset` from the start: a new reader, with the bytes before `offset` skipped.
    func seek(to offset: Int64) -> Bool {
        guard let source else { return false }
        do {
            var fresh = try source.makeReader()
            var remaining = offset
            var scratch = [UInt8](repeating: 0, count: 64 * 1024)
            while remaining > 0 {
                let n = try scratch.withUnsafeMutableBytes { try fresh.read(into: UnsafeMutableRawBufferPointer(rebasing: $0.prefix(Int(min(remaining, 65_536))))) }
                guard n > 0 else { return false }
                remaining -= Int64(n)
            }
            reader = fresh
            return true
        } catch {
            failure = SendableError(error)
            return false
        }
    }

    /// A header line; a status line (`HTTP/1.1 100 Continue`, then the final one) starts a new header block.
    /// Parsed as bytes: this runs for every header of every response.
    func header(_ line: UnsafeRawBufferPointer) {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        var end = line.count
        while end > 0, isSpace(line[end - 1]) { end -= 1 }
        let bytes = UnsafeRawBufferPointer(rebasing: line[..<end])
        if bytes.starts(with: "HTTP/".utf8) {
            headers.removeAll(keepingCapacity: true)
            let fields = bytes.split(separator: 0x20, maxSplits: 2)
            status = fields.count > 1 ? Int(String(decoding: fields[1], as: UTF8.self)) ?? 0 : 0
        } else if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            var start = colon + 1
            while start < end, isSpace(bytes[start]) { start += 1 }
            let name = String(unsafeUninitializedCapacity: colon) { name in
                for index in 0..<colon { name[index] = (0x41...0x5A).contains(bytes[index]) ? bytes[index] | 0x20 : bytes[index] }
                return colon
            }
            headers[name] = String(decoding: bytes[start..<end], as: UTF8.self)
        }
    }

    /// Body bytes: to the sink for a 2xx response that has one, else into memory (documents, error documents) up to
    /// `maxBodyBytes`: refusing more makes libcurl stop with CURLE_WRITE_ERROR, before the rest is even received.
    /// https://curl.se/libcurl/c/CURLOPT_WRITEFUNCTION.html
    func data(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let sink, (200..<300).contains(status) else {
            if body.isEmpty, let announced = headers["content-length"].flatMap({ Int64($0) }), announced > maxBodyBytes {
                failure = TransferLimitExceeded.body(limit: maxBodyBytes, announced: announced)
                return false
            }
            guard bytes.count <= maxBodyBytes - body.count else {
                failure = TransferLimitExceeded.body(limit: maxBodyBytes, announced: nil)
                return false
            }
            body.append(contentsOf: bytes)
            return true
        }
        do {
            if writer == nil { writer = try sink.makeWriter() }
            try writer!.write(bytes)
            return true
        } catch {
            failure = SendableError(error)
            return false
        }
    }

    /// Fills an upload buffer; nil after a source failure (the transfer is then aborted).
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        do {
            return try reader?.read(into: buffer) ?? 0
        } catch {
            failure = SendableError(error)
            return nil
        }
    }

    /// Whether the transfer is still within its time limit, given libcurl's byte counts (totals are 0 when unknown).
    func progress(downloadTotal: Int64, downloaded: Int64, uploadTotal: Int64, uploaded: Int64) -> Bool {
        guard let timeLimit else { return true }
        let elapsed = started.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let bytes = max(downloadTotal, downloaded, uploadTotal, uploaded)
        let allowed = timeLimit.seconds(forBytes: bytes)
        guard seconds > allowed else { return true }
        failure = TransferLimitExceeded.time(limit: timeLimit, allowedSeconds: allowed, elapsedSeconds: seconds, bytes: bytes)
        return false
    }

    /// Completes the sink of a successful transfer (creating it for an empty body).
    func finish(status: Int) throws {
        guard let sink, (200..<300).contains(status) else { return }
        if writer == nil { writer = try sink.makeWriter() }
        try writer!.finish()
    }
}

/// Carries an error thrown by a body source or sink out of a transfer.
struct SendableError: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ error: any Error) { description = "\(error)" }
}

private func context(_ pointer: UnsafeMutableRawPointer?) -> TransferContext {
    Unmanaged<TransferContext>.fromOpaque(pointer!).takeUnretainedValue()
}

private let onHeader: s3b_data_callback = { buffer, size, count, pointer in
    context(pointer).header(UnsafeRawBufferPointer(start: buffer, count: size * count))
    return size * count
}

private let onData: s3b_data_callback = { buffer, size, count, pointer in
    context(pointer).data(UnsafeRawBufferPointer(start: buffer, count: size * count)) ? size * count : 0
}

private let onSeek: s3b_seek_callback = { pointer, offset, origin in
    guard origin == SEEK_SET else { return s3b_seekfunc_cantseek() }
    return context(pointer).seek(to: Int64(offset)) ? s3b_seekfunc_ok() : s3b_seekfunc_cantseek()
}

private let onProgress: s3b_progress_callback = { pointer, downloadTotal, downloaded, uploadTotal, uploaded in
    context(pointer).progress(downloadTotal: Int64(downloadTotal), downloaded: Int64(downloaded),
                              uploadTotal: Int64(uploadTotal), uploaded: Int64(uploaded)) ? 0 : 1
}

private let onRead: s3b_data_callback = { buffer, size, count, pointer in
    context(pointer).read(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count)) ?? s3b_readfunc_abort()
}
