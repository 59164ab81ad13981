# Written by drainsim runbook; safe to replace.
#Requires -Version 5.1
<#
.SYNOPSIS
Runbook: Patch fe02 behind the F5

.DESCRIPTION
The steps of tests/runbook/hardware.toml as commands, each with what 40 simulated nights (seed 11) saw at that
moment. Run it first with -WhatIf. It stops at the first error ($ErrorActionPreference = 'Stop')
and asks before every step that takes a server down.
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    # The Front Ends, in the scenario's order.
    [string[]]$FrontEnds = @('fe01.contoso.com', 'fe02.contoso.com', 'fe03.contoso.com', 'fe04.contoso.com'),
    # The pool's FQDN (Get-CsPoolFabricState).
    [Parameter(Mandatory)]
    [string]$PoolFqdn,
    # The BIG-IP, its pool, each Front End's member name (node) and credentials.
    [Parameter(Mandatory)] [string]$F5Host,
    [Parameter(Mandatory)] [string]$F5Pool,
    [Parameter(Mandatory)] [hashtable]$F5Member,
    [Parameter(Mandatory)] [pscredential]$F5Credential
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function Confirm-Step([string]$Question) {
    if ($WhatIfPreference) { return }
    $answer = Read-Host "$Question [y/N]"
    if ($answer -ne 'y') { throw "Stopped by the operator: $Question" }
}

# ---- Step 1. 02:00 - Set fe02.contoso.com disabled on the load balancer
Write-Host '== Step 1. 02:00 - Set fe02.contoso.com disabled on the load balancer'
if ($PSCmdlet.ShouldProcess($PoolFqdn, 'Set fe02.contoso.com disabled on the load balancer')) {
    Invoke-RestMethod -Method Patch -Credential $F5Credential -ContentType 'application/json' -Uri "https://$F5Host/mgmt/tm/ltm/pool/~Common~$F5Pool/members/~Common~$(${F5Member}[$FrontEnds[1]])" -Body '{"session":"user-disabled","state":"user-up"}'
}

# ---- Step 2. 02:00 - Pause fe02.contoso.com (no new sessions)
Write-Host '== Step 2. 02:00 - Pause fe02.contoso.com (no new sessions)'
Write-Host '   Expect: fe02.contoso.com: 10 of 40 simulated drains finished; the other 30 still had sessions when a later step (the restart) ended them. Those that finished left no session on the paused services after about 26 min (95 % of them within 39 min).'
# Stop if: A drain far slower than simulated: if Get-CsWindowsService still shows activity on fe02.contoso.com after 1 h 19 min (twice the 95th percentile), the load is not what the scenario assumed; resume the services (Resume-Service) and reschedule rather than cut the sessions.
if ($PSCmdlet.ShouldProcess($PoolFqdn, 'Pause fe02.contoso.com (no new sessions)')) {
    Invoke-Command -ComputerName $FrontEnds[1] -ScriptBlock { Suspend-Service -Name 'RTCSRV','RTCAVMCU' }
}

# ---- Step 3. 02:00 - Watch fe02.contoso.com drain
Write-Host '== Step 3. 02:00 - Watch fe02.contoso.com drain'
Write-Host '   Expect: The wait lasts about 40 min (in 95 % of nights at most 40 min).'
Write-Host '   Expect: The 40 min timeout was reached in 30 of 40 nights.'
if ($PSCmdlet.ShouldProcess($PoolFqdn, 'Watch fe02.contoso.com drain')) {
    $deadline = (Get-Date).AddSeconds(2400)
    do {
        Get-CsWindowsService -ComputerName $FrontEnds[1] | Format-Table Name, Status, ActivityLevel | Out-Host
        $drained = (Read-Host 'Drained (no activity left)? [y/N]') -eq 'y'
        if (-not $drained) { Start-Sleep -Seconds 60 }
    } until ($drained -or (Get-Date) -gt $deadline)
}

# ---- Step 4. 02:40 - Set the startup type of fe02.contoso.com to manual
Write-Host '== Step 4. 02:40 - Set the startup type of fe02.contoso.com to manual'
if ($PSCmdlet.ShouldProcess($PoolFqdn, 'Set the startup type of fe02.contoso.com to manual')) {
    Set-Service -ComputerName $FrontEnds[1] -Name RTCSRV -StartupType Manual
}

# ---- Step 5. 02:40 - Restart fe02.contoso.com (down about 10m)
Write-Host '== Step 5. 02:40 - Restart fe02.contoso.com (down about 10m)'
Write-Host '   Expect: Sessions still on fe02.contoso.com when it is restarted: 1 on a median night; in 95 % of nights at most 3, most of them av_conference.'
# Stop if: Before restarting, look at the activity Get-CsWindowsService reports for fe02.contoso.com: well above 3 sessions, the drain is slower than simulated; wait, or resume and reschedule. Do not restart if Get-CsPoolFabricState shows a routing group with no secondary outside these servers, or if fewer Front Ends than the pool's quorum would be left running.
Confirm-Step 'Step 5: none of its stop conditions holds (see the comments above); go on?'
if ($PSCmdlet.ShouldProcess($PoolFqdn, 'Restart fe02.contoso.com (down about 10m)')) {
    Get-CsPoolFabricState -PoolFqdn $PoolFqdn
    Restart-Computer -ComputerName $FrontEnds[1] -Force -Wait -For PowerShell -Timeout 1800
    Get-CsWindowsService -ComputerName $FrontEnds[1] | Format-Table Name, Status
}

# ---- Step 6. 02:50 - Start the services of fe02.contoso.com
Write-Host '== Step 6. 02:50 - Start the services of fe02.contoso.com'
if ($PSCmdlet.ShouldProcess($PoolFqdn, 'Start the services of fe02.contoso.com')) {
    Start-CsWindowsService -ComputerName $FrontEnds[1]
}

# ---- Step 7. 02:50 - Set the startup type of fe02.contoso.com to automatic
Write-Host '== Step 7. 02:50 - Set the startup type of fe02.contoso.com to automatic'
if ($PSCmdlet.ShouldProcess($PoolFqdn, 'Set the startup type of fe02.contoso.com to automatic')) {
    Set-Service -ComputerName $FrontEnds[1] -Name RTCSRV -StartupType Automatic
}

# ---- Step 8. 02:50 - Set fe02.contoso.com enabled on the load balancer
Write-Host '== Step 8. 02:50 - Set fe02.contoso.com enabled on the load balancer'
if ($PSCmdlet.ShouldProcess($PoolFqdn, 'Set fe02.contoso.com enabled on the load balancer')) {
    Invoke-RestMethod -Method Patch -Credential $F5Credential -ContentType 'application/json' -Uri "https://$F5Host/mgmt/tm/ltm/pool/~Common~$F5Pool/members/~Common~$(${F5Member}[$FrontEnds[1]])" -Body '{"session":"user-enabled","state":"user-up"}'
}

# ---- Step 9. 02:50 - Fail over fe03.contoso.com
Write-Host '== Step 9. 02:50 - Fail over fe03.contoso.com'
Write-Host '   Expect: fe03.contoso.com: 6 of 40 simulated drains finished; the other 34 still had sessions when a later step (the restart) ended them. Those that finished left no session on the paused services after about 31 min (95 % of them within 39 min).'
# Stop if: A drain far slower than simulated: if Get-CsWindowsService still shows activity on fe03.contoso.com after 1 h 19 min (twice the 95th percentile), the load is not what the scenario assumed; resume the services (Resume-Service) and reschedule rather than cut the sessions.
# Stop if: This step failed in 34 of 40 simulated nights and stopped the plan: if it fails tonight, do not go on; bring the servers back (see *Roll back*).
Confirm-Step 'Step 9: none of its stop conditions holds (see the comments above); go on?'
if ($PSCmdlet.ShouldProcess($PoolFqdn, 'Fail over fe03.contoso.com')) {
    Get-CsPoolFabricState -PoolFqdn $PoolFqdn
    Invoke-CsComputerFailOver -ComputerName $FrontEnds[2] -WaitTime 00:45:00
}

# ---- Step 10. 03:18 (95 %: by 03:29) - Restart fe03.contoso.com (down about 10m)
Write-Host '== Step 10. 03:18 (95 %: by 03:29) - Restart fe03.contoso.com (down about 10m)'
Write-Host '   Expect: In 34 of 40 simulated nights the plan stopped before this step.'
Write-Host '   Expect: Sessions still on fe03.contoso.com when it is restarted: 0 on a median night; in 95 % of nights at most 0.'
# Stop if: Before restarting, look at the activity Get-CsWindowsService reports for fe03.contoso.com: well above 0 sessions, the drain is slower than simulated; wait, or resume and reschedule. Do not restart if Get-CsPoolFabricState shows a routing group with no secondary outside these servers, or if fewer Front Ends than the pool's quorum would be left running.
Confirm-Step 'Step 10: none of its stop conditions holds (see the comments above); go on?'
if ($PSCmdlet.ShouldProcess($PoolFqdn, 'Restart fe03.contoso.com (down about 10m)')) {
    Get-CsPoolFabricState -PoolFqdn $PoolFqdn
    Restart-Computer -ComputerName $FrontEnds[2] -Force -Wait -For PowerShell -Timeout 1800
    Get-CsWindowsService -ComputerName $FrontEnds[2] | Format-Table Name, Status
}

# ---- Step 11. 03:28 (95 %: by 03:39) - Fail back fe03.contoso.com
Write-Host '== Step 11. 03:28 (95 %: by 03:39) - Fail back fe03.contoso.com'
Write-Host '   Expect: In 34 of 40 simulated nights the plan stopped before this step.'
if ($PSCmdlet.ShouldProcess($PoolFqdn, 'Fail back fe03.contoso.com')) {
    Invoke-CsComputerFailBack -ComputerName $FrontEnds[2]
}

Write-Host 'Runbook finished. Check the pool: Get-CsPoolFabricState -PoolFqdn' $PoolFqdn
