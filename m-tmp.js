require('v8').setFlagsFromString('--no-turbofan');require('./dist/lib/cli/daemon-main.js');require('net').createServer(()=>{}).listen(0,'127.0.0.1'); new Date().getTime(); setTimeout(()=>{},1e4)
